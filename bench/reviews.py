"""Review benchmark: assignment of 2 000 applications in 10 directions from a library of 5 000
experts with conflicts (organisation overlaps, declared conflicts, collaborations), then a full
check that no persisted assignment breaks recusal (V1 — KRD-MGMT §26). Generated with
bulk_create and rolled back at the end, so the bench database is left as it was."""

from __future__ import annotations

import random
import time

from django.db import connection, transaction

from accounts.models import Organisation, User
from accounts.tests.factories import credit_code_for
from projects.models import Call, CallDirection, Person, Proposal, ProposalUnit, SpecialProject, Subject
from reviews import rules
from reviews.models import Assignment, Collaboration, DeclaredConflict, Expert, ExpertDiscipline, ReviewRound
from reviews.services import assignment as services

APPLICATIONS = 2_000
DIRECTIONS = 10
EXPERTS = 5_000
ORGANISATIONS = 1_500
YEAR = 2027


class _Rollback(Exception):
    pass


def _generate(rng: random.Random, *, applications: int, experts: int, directions: int):
    stamp = int(time.time() * 1000) % 10**7
    organisations = Organisation.objects.bulk_create(
        Organisation(
            name=f"评审基准单位{stamp}-{n}",
            credit_code=credit_code_for(9_000_000 + n),
            kind=Organisation.Kind.UNIVERSITY,
        )
        for n in range(ORGANISATIONS)
    )
    agency_org = Organisation.objects.create(
        name=f"评审基准专业机构{stamp}", credit_code=credit_code_for(9_999_999), kind=Organisation.Kind.AGENCY
    )
    agency = User.objects.create(username=f"bench-agency-{stamp}", organisation=agency_org)
    from django.contrib.auth.models import Group

    agency.groups.add(Group.objects.get_or_create(name="agency")[0])
    applicant = User.objects.get(username="applicant")
    special = SpecialProject.objects.create(
        program=_program(),
        name=f"评审基准专项{stamp}",
        managing_agency=agency_org,
    )
    call = Call.objects.create(
        special_project=special, title=f"评审基准指南{stamp}", year=YEAR, closes_at="2027-03-31T08:00:00Z"
    )
    codes = [f"{n + 1:02d}0.10" for n in range(directions)]  # one first-level discipline per direction
    direction_rows = CallDirection.objects.bulk_create(
        CallDirection(call=call, code=f"{n + 1}.1", title=f"方向{n + 1}", discipline_code=codes[n])
        for n in range(directions)
    )
    proposals = Proposal.objects.bulk_create(
        Proposal(
            call=call,
            direction=direction_rows[n % directions],
            applicant=applicant,
            lead_unit=rng.choice(organisations),
            title=f"基准申报书{n}",
            state=Proposal.State.RECEIVED,
        )
        for n in range(applications)
    )
    units = []
    for proposal in proposals:
        units.append(ProposalUnit(proposal=proposal, organisation=proposal.lead_unit, role=ProposalUnit.Role.LEAD))
        partner = rng.choice(organisations)
        if partner.pk != proposal.lead_unit_id:
            units.append(ProposalUnit(proposal=proposal, organisation=partner))
    ProposalUnit.objects.bulk_create(units, batch_size=5000)
    people = Person.objects.bulk_create(
        (
            Person(
                proposal=proposal,
                name=f"基准{role[:1]}{proposal.pk}",
                id_number=f"9{stamp:07d}{proposal.pk:07d}{index}x",
                role=role,
            )
            for proposal in proposals
            for index, role in enumerate(
                (Person.Role.PROJECT_LEADER, Person.Role.SUBJECT_LEADER, Person.Role.KEY_PERSONNEL)
            )
        ),
        batch_size=5000,
    )
    leaders = [person for person in people if person.role == Person.Role.PROJECT_LEADER]
    subject_leaders = {person.proposal_id: person for person in people if person.role == Person.Role.SUBJECT_LEADER}
    subjects = Subject.objects.bulk_create(
        (
            Subject(proposal=proposal, number=1, unit=proposal.lead_unit, leader=subject_leaders[proposal.pk])
            for proposal in proposals
        ),
        batch_size=5000,
    )
    Subject.participant_units.through.objects.bulk_create(
        (
            Subject.participant_units.through(subject_id=subject.pk, organisation_id=rng.choice(organisations).pk)
            for subject in subjects
        ),
        batch_size=5000,
    )
    expert_rows = Expert.objects.bulk_create(
        (
            Expert(
                name=f"基准专家{stamp}-{n}",
                id_number=f"8{stamp:07d}{n:08d}",
                organisation=rng.choice(organisations),  # organisation overlaps with the applicants
            )
            for n in range(experts)
        ),
        batch_size=5000,
    )
    disciplines = []
    for n, expert in enumerate(expert_rows):
        disciplines.append(ExpertDiscipline(expert=expert, code=codes[n % directions], is_primary=True))
        if n % 3 == 0:
            disciplines.append(ExpertDiscipline(expert=expert, code=codes[(n + 1) % directions]))
    ExpertDiscipline.objects.bulk_create(disciplines, batch_size=5000)
    conflicts = [
        DeclaredConflict(expert=rng.choice(expert_rows), organisation=rng.choice(organisations))
        for _ in range(experts // 5)
    ]
    conflicts += [
        DeclaredConflict(expert=rng.choice(expert_rows), person_id_number=leader.id_number.upper())
        for leader in rng.sample(leaders, min(len(leaders), experts // 10))
    ]
    DeclaredConflict.objects.bulk_create(conflicts, batch_size=5000)
    Collaboration.objects.bulk_create(
        (
            Collaboration(
                expert=rng.choice(expert_rows),
                person_name=leader.name,
                person_id_number=leader.id_number,
                year=YEAR - rng.randint(0, 5),  # inside and outside the 3-year window
            )
            for leader in rng.choices(leaders, k=experts // 5)
        ),
        batch_size=5000,
    )
    review_round = ReviewRound.objects.create(
        title=f"基准首轮评审{stamp}",
        kind=ReviewRound.Kind.FIRST_ROUND,
        call=call,
        special_project=special,
        managing_agency=agency_org,
        year=YEAR,
        group_size=15,
        min_experts=5,
        created_by=agency,
    )
    services.round_items_add(actor=agency, review_round=review_round, proposals=proposals)
    return review_round, agency


def _program():
    from projects.models import Program

    return Program.objects.get_or_create(code=Program.Code.KEY_RD, defaults={"name": "国家重点研发计划"})[0]


def _verify(review_round) -> tuple[int, int]:
    """Every persisted assignment re-checked against recusal from fresh facts."""
    assignments = list(
        Assignment.objects.filter(item__review_round=review_round, state__in=services.ACTIVE_STATES).select_related(
            "item", "expert"
        )
    )
    items = {f.id: f for f in services.item_facts({a.item for a in assignments})}
    experts = {f.id: f for f in services.expert_facts({a.expert for a in assignments}, review_round=review_round)}
    broken = sum(
        1
        for a in assignments
        if rules.recusal_reasons(
            experts[a.expert_id],
            items[a.item_id],
            year=review_round.year,
            collaboration_years=review_round.collaboration_years,
        )
    )
    return len(assignments), broken


def review_assignment(
    median_seconds, report, *, applications: int = APPLICATIONS, experts: int = EXPERTS, directions: int = DIRECTIONS
) -> None:
    rng = random.Random(2027)
    try:
        with transaction.atomic():
            started = time.perf_counter()
            review_round, agency = _generate(rng, applications=applications, experts=experts, directions=directions)
            print(
                f"{'':<58} ({applications} applications, {experts} experts generated in "
                f"{time.perf_counter() - started:.1f} s)"
            )
            queries: list[str] = []

            def count(execute, sql, params, many, context):
                queries.append(sql)
                return execute(sql, params, many, context)

            with connection.execute_wrapper(count):
                started = time.perf_counter()
                short = services.round_assign(actor=agency, review_round=review_round)
                elapsed = time.perf_counter() - started
            persisted, broken = _verify(review_round)
            report(
                f"round_assign ({applications} applications, {directions} directions, {experts} experts)",
                elapsed,
                f"{len(queries)} queries, {persisted} assignments, {len(short)} items short, "
                f"{broken} breaking recusal (single run)",
            )
            assert broken == 0, broken
            queries.clear()
            with connection.execute_wrapper(count):
                started = time.perf_counter()
                services.round_assign(actor=agency, review_round=review_round)
                again = time.perf_counter() - started
            persisted, broken = _verify(review_round)
            report(
                "round_assign again (replaces undeclared)",
                again,
                f"{len(queries)} queries, {persisted} assignments, {broken} breaking recusal",
            )
            assert broken == 0, broken
            raise _Rollback
    except _Rollback:
        pass
