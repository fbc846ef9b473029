"""The expert library (V1): services, import, pages and API."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook

from accounts.tests.factories import OrganisationFactory
from core.models import AuditEvent
from reviews.models import Collaboration, DeclaredConflict, Expert
from reviews.services import library
from reviews.tests.factories import AvailabilityFactory, CollaborationFactory, ConflictFactory, ExpertFactory

pytestmark = pytest.mark.django_db

HEADER = [
    "姓名",
    "身份证件号",
    "单位",
    "职称",
    "是否高级职称",
    "专家类型",
    "学科代码",
    "邮箱",
    "电话",
    "是否外籍",
    "是否院士",
]


def xlsx_file(rows, header=HEADER, name="experts.xlsx") -> SimpleUploadedFile:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(
        name, buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


def csv_file(rows, header=HEADER, name="experts.csv", encoding="utf-8-sig") -> SimpleUploadedFile:
    lines = [",".join(header), *(",".join(str(cell) for cell in row) for row in rows)]
    return SimpleUploadedFile(name, ("\n".join(lines) + "\n").encode(encoding), content_type="text/csv")


@pytest.fixture
def agency(make_user):
    return make_user("agency")


# ---- Factories ---------------------------------------------------------------------------------


def test_expert_factory_gives_a_primary_discipline():
    expert = ExpertFactory()
    assert [(d.code, d.is_primary) for d in expert.disciplines.all()] == [("080.10", True)]
    other = ExpertFactory(disciplines=["520.2010", "080"])
    assert {d.code: d.is_primary for d in other.disciplines.all()} == {"520.2010": True, "080": False}
    assert ConflictFactory().organisation is not None
    assert CollaborationFactory().year > 2000


# ---- Services ----------------------------------------------------------------------------------


def test_expert_save_creates_and_updates_with_audit(agency):
    organisation = OrganisationFactory()
    expert = library.expert_save(
        actor=agency, name="张三", id_number="110101198001011234", organisation=organisation, disciplines=["080.10"]
    )
    assert AuditEvent.objects.filter(action="expert.create", object_id=str(expert.pk)).exists()
    library.expert_save(actor=agency, expert=expert, professional_title="教授", is_senior=True)
    expert.refresh_from_db()
    assert expert.professional_title == "教授" and expert.is_senior
    event = AuditEvent.objects.get(action="expert.update", object_id=str(expert.pk))
    assert event.changes["professional_title"] == ["", "教授"]


@pytest.mark.parametrize("role", ["ministry", "applicant", "expert", "unit_admin"])
def test_only_agency_and_admin_write(make_user, role):
    with pytest.raises(PermissionDenied):
        library.expert_save(actor=make_user(role), name="张三", id_number="X1")
    assert not Expert.objects.exists()


def test_admin_writes(make_user):
    assert library.expert_save(actor=make_user("admin"), name="张三", id_number="X1").pk


def test_disciplines_set_keeps_one_primary(agency):
    expert = ExpertFactory()
    library.expert_disciplines_set(actor=agency, expert=expert, codes=["080", "520.2010"], primary="520.2010")
    assert {d.code: d.is_primary for d in expert.disciplines.all()} == {"080": False, "520.2010": True}
    with pytest.raises(ValidationError):
        library.expert_disciplines_set(actor=agency, expert=expert, codes=["080"], primary="520")
    with pytest.raises(ValidationError):
        library.expert_disciplines_set(actor=agency, expert=expert, codes=["08A"], primary="08A")
    assert AuditEvent.objects.filter(action="expert.disciplines_set", object_id=str(expert.pk)).count() == 1


def test_conflicts_collaborations_availability_add_and_remove(agency):
    expert = ExpertFactory()
    conflict = library.conflict_add(actor=agency, expert=expert, person_name="李四")
    collaboration = library.collaboration_add(actor=agency, expert=expert, person_name="王五", year=2024)
    window = AvailabilityFactory.build(expert=expert)
    availability = library.availability_add(
        actor=agency, expert=expert, starts_on=window.starts_on, ends_on=window.ends_on
    )
    with pytest.raises(ValidationError):
        library.conflict_add(actor=agency, expert=expert)
    with pytest.raises(ValidationError):
        library.availability_add(actor=agency, expert=expert, starts_on=window.ends_on, ends_on=window.starts_on)
    library.conflict_remove(actor=agency, conflict=conflict)
    library.collaboration_remove(actor=agency, collaboration=collaboration)
    library.availability_remove(actor=agency, availability=availability)
    assert not expert.declared_conflicts.exists() and not expert.collaborations.exists()
    assert not expert.availability.exists()
    actions = set(AuditEvent.objects.filter(object_id=str(expert.pk)).values_list("action", flat=True))
    assert {
        "expert.conflict_add",
        "expert.conflict_remove",
        "expert.collaboration_add",
        "expert.collaboration_remove",
        "expert.availability_add",
        "expert.availability_remove",
    } <= actions


# ---- Import ------------------------------------------------------------------------------------


def good_rows(organisation):
    return [
        [
            "张三",
            "110101198001011234",
            organisation.name,
            "研究员",
            "是",
            "技术专家",
            "080.10；520.2010",
            "zhang@example.cn",
            "13800000000",
            "否",
            "否",
        ],
        ["李四", "110101198001015678", organisation.credit_code, "教授", "yes", "管理", "080", "", "", "no", "1"],
        ["Smith", "P1234567", "Unknown University", "Professor", "1", "industry", "520.2010", "", "", "是", "0"],
    ]


def _check_good_import(result, organisation):
    assert result.errors == [] and (result.created, result.updated) == (3, 0)
    zhang = Expert.objects.get(id_number="110101198001011234")
    assert zhang.organisation == organisation and zhang.is_senior and zhang.expertise == "technical"
    assert {d.code: d.is_primary for d in zhang.disciplines.all()} == {"080.10": True, "520.2010": False}
    li = Expert.objects.get(id_number="110101198001015678")
    assert li.organisation == organisation and li.is_academician and li.expertise == "management"
    smith = Expert.objects.get(id_number="P1234567")
    assert smith.organisation is None and smith.organisation_name == "Unknown University"
    assert smith.is_foreign and smith.expertise == "industry"
    assert AuditEvent.objects.filter(action="expert.create").count() == 3
    assert AuditEvent.objects.filter(action="expert.import").count() == 1


def test_import_good_xlsx(agency):
    organisation = OrganisationFactory()
    result = library.expert_import(actor=agency, uploaded_file=xlsx_file(good_rows(organisation)))
    _check_good_import(result, organisation)


def test_import_good_csv_in_gbk(agency):
    organisation = OrganisationFactory()
    result = library.expert_import(actor=agency, uploaded_file=csv_file(good_rows(organisation), encoding="gb18030"))
    _check_good_import(result, organisation)


def test_import_english_headers_and_numeric_discipline(agency):
    header = ["name", "id_number", "organisation", "disciplines"]
    result = library.expert_import(actor=agency, uploaded_file=xlsx_file([["A", "ID1", "", 80]], header=header))
    assert result.created == 1
    assert [d.code for d in Expert.objects.get().disciplines.all()] == ["080"]


def test_one_bad_row_imports_nothing(agency):
    organisation = OrganisationFactory()
    rows = good_rows(organisation)
    rows[1][6] = "8O.1"  # not a discipline code
    rows[2][4] = "maybe"
    rows.append(["", "", "", "", "", "", "", "bad-email", "", "", ""])
    result = library.expert_import(actor=agency, uploaded_file=xlsx_file(rows))
    assert result.is_refused and (result.created, result.updated) == (0, 0)
    found = {(error["row"], error["column"]) for error in result.errors}
    assert {(3, "学科代码"), (4, "是否高级职称"), (5, "姓名"), (5, "身份证件号"), (5, "邮箱")} <= found
    assert not Expert.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="expert.").exists()


def test_duplicate_id_numbers_in_a_file(agency):
    rows = [["张三", "110101198001011234"], ["张三三", "110101198001011234 "]]
    result = library.expert_import(actor=agency, uploaded_file=csv_file(rows, header=["姓名", "身份证件号"]))
    assert result.is_refused
    assert result.errors[0]["row"] == 3 and "row 2" in result.errors[0]["message"]
    assert not Expert.objects.exists()


def test_missing_columns_refuse_the_file(agency):
    result = library.expert_import(actor=agency, uploaded_file=csv_file([["张三"]], header=["姓名"]))
    assert result.is_refused and result.errors[0]["column"] == "身份证件号"


def test_import_updates_an_existing_expert(agency):
    expert = ExpertFactory(id_number="110101198001011234", professional_title="副研究员", phone="010-1")
    rows = [["张三", "110101198001011234", "", "研究员", "", "", "520.2010；080", "", "", "", ""]]
    result = library.expert_import(actor=agency, uploaded_file=xlsx_file(rows))
    assert (result.created, result.updated) == (0, 1)
    expert.refresh_from_db()
    assert expert.name == "张三" and expert.professional_title == "研究员"
    assert expert.phone == "010-1" and expert.organisation is not None  # blank cells keep the values
    assert {d.code: d.is_primary for d in expert.disciplines.all()} == {"520.2010": True, "080": False}
    assert AuditEvent.objects.filter(action="expert.update", object_id=str(expert.pk)).exists()


def test_import_refused_for_ministry(make_user):
    with pytest.raises(PermissionDenied):
        library.expert_import(actor=make_user("ministry"), uploaded_file=xlsx_file([["A", "1"]]))


def test_a_file_that_is_not_a_table(agency):
    result = library.expert_import(
        actor=agency, uploaded_file=SimpleUploadedFile("x.xlsx", b"PK\x03\x04garbage", content_type="application/zip")
    )
    assert result.is_refused and result.errors[0]["row"] is None


def test_an_old_xls_workbook_is_refused_with_the_readers_words(agency):
    old = SimpleUploadedFile("experts.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64)
    result = library.expert_import(actor=agency, uploaded_file=old)
    assert result.is_refused and result.created == 0
    assert result.errors == [
        {"row": None, "column": "", "message": "Old .xls workbooks are not read: save the file as .xlsx or CSV."}
    ]
    assert not Expert.objects.exists()


# ---- Pages -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["applicant", "expert", "unit_admin"])
def test_library_pages_are_404_for_other_roles(client, make_user, role):
    expert = ExpertFactory()
    client.force_login(make_user(role))
    for url in (
        reverse("reviews:expert_list"),
        reverse("reviews:expert_detail", args=[expert.pk]),
        reverse("reviews:expert_new"),
        reverse("reviews:expert_import"),
    ):
        assert client.get(url).status_code == 404, url


def test_ministry_reads_but_does_not_write(client, make_user):
    expert = ExpertFactory()
    client.force_login(make_user("ministry"))
    assert client.get(reverse("reviews:expert_list")).status_code == 200
    response = client.get(reverse("reviews:expert_detail", args=[expert.pk]))
    assert response.status_code == 200 and reverse("reviews:expert_conflict_add", args=[expert.pk]) not in (
        response.content.decode()
    )
    assert client.get(reverse("reviews:expert_new")).status_code == 404
    assert (
        client.post(reverse("reviews:expert_conflict_add", args=[expert.pk]), {"person_name": "X"}).status_code == 404
    )
    assert not DeclaredConflict.objects.exists()


def test_list_query_count_pinned(client, make_user, django_assert_num_queries):
    client.force_login(make_user("agency"))
    ExpertFactory.create_batch(3)
    client.get(reverse("reviews:expert_list"))  # warm the caches (content types, session)
    with CaptureQueriesContext(connection) as baseline:
        assert client.get(reverse("reviews:expert_list")).status_code == 200
    ExpertFactory.create_batch(27)
    with django_assert_num_queries(len(baseline)):
        response = client.get(reverse("reviews:expert_list"))
    assert len(response.context["page"].object_list) == 25


def test_list_search(client, make_user):
    client.force_login(make_user("agency"))
    unit = OrganisationFactory(name="清华大学")
    ExpertFactory(name="张三", organisation=unit, disciplines=["520.2010"])
    ExpertFactory(name="李四", disciplines=["080.10"])
    ExpertFactory(name="王五", organisation=None, organisation_name="某研究所", disciplines=["080"])

    def names(**query):
        response = client.get(reverse("reviews:expert_list"), query)
        return {expert.name for expert in response.context["page"].object_list}

    assert names(q="张") == {"张三"}
    assert names(discipline="080") == {"李四", "王五"}
    assert names(discipline="520") == {"张三"}
    assert names(organisation="清华") == {"张三"}
    assert names(organisation="研究所") == {"王五"}
    assert names(organisation=unit.credit_code) == {"张三"}


def test_detail_shows_everything_and_forms_write(client, agency):
    expert = ExpertFactory()
    ConflictFactory(expert=expert, organisation=OrganisationFactory(name="冲突单位"))
    CollaborationFactory(expert=expert, person_name="合作者甲")
    client.force_login(agency)
    url = reverse("reviews:expert_detail", args=[expert.pk])
    page = client.get(url).content.decode()
    assert "冲突单位" in page and "合作者甲" in page and "080.10" in page

    response = client.post(reverse("reviews:expert_conflict_add", args=[expert.pk]), {"person_name": "李四"})
    assert response.status_code == 302
    response = client.post(
        reverse("reviews:expert_collaboration_add", args=[expert.pk]),
        {"person_name": "王五", "kind": "co_author", "year": 2024},
    )
    assert response.status_code == 302
    response = client.post(
        reverse("reviews:expert_availability_add", args=[expert.pk]),
        {"starts_on": "2026-03-01", "ends_on": "2026-02-01"},
    )
    assert response.status_code == 400 and not expert.availability.exists()
    response = client.post(
        reverse("reviews:expert_disciplines", args=[expert.pk]), {"codes": "080.10; 520", "primary": "520"}
    )
    assert response.status_code == 302
    assert expert.disciplines.get(is_primary=True).code == "520"
    conflict = expert.declared_conflicts.get(person_name="李四")
    client.post(reverse("reviews:expert_conflict_remove", args=[expert.pk, conflict.pk]))
    assert not expert.declared_conflicts.filter(pk=conflict.pk).exists()
    collaboration = Collaboration.objects.get(expert=expert, person_name="王五")
    client.post(reverse("reviews:expert_collaboration_remove", args=[expert.pk, collaboration.pk]))
    assert not Collaboration.objects.filter(pk=collaboration.pk).exists()


def test_new_expert_page(client, agency):
    unit = OrganisationFactory()
    client.force_login(agency)
    assert client.get(reverse("reviews:expert_new")).status_code == 200
    response = client.post(
        reverse("reviews:expert_new"),
        {
            "name": "张三",
            "id_number": "110101198001011234",
            "organisation": unit.credit_code,
            "expertise": "technical",
            "disciplines": "080.10；520",
        },
    )
    expert = Expert.objects.get()
    assert response.status_code == 302 and expert.organisation == unit
    assert expert.disciplines.get(is_primary=True).code == "080.10"
    response = client.post(
        reverse("reviews:expert_new"), {"name": "重复", "id_number": "110101198001011234", "expertise": "technical"}
    )
    assert response.status_code == 200 and Expert.objects.count() == 1


def test_edit_expert_page(client, agency):
    expert = ExpertFactory()
    client.force_login(agency)
    url = reverse("reviews:expert_edit", args=[expert.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {"name": "新名字", "id_number": expert.id_number, "organisation": "外部单位", "expertise": "finance"},
    )
    assert response.status_code == 302
    expert.refresh_from_db()
    assert expert.name == "新名字" and expert.organisation is None and expert.organisation_name == "外部单位"


def test_import_page_shows_row_errors(client, agency):
    client.force_login(agency)
    assert client.get(reverse("reviews:expert_import")).status_code == 200
    rows = [["张三", "110101198001011234", "", "", "maybe"]]
    response = client.post(reverse("reviews:expert_import"), {"file": xlsx_file(rows)})
    assert response.status_code == 200
    page = response.content.decode()
    assert "是否高级职称" in page and "maybe" in page and not Expert.objects.exists()
    response = client.post(reverse("reviews:expert_import"), {"file": xlsx_file([["张三", "110101198001011234"]])})
    assert response.status_code == 302 and Expert.objects.count() == 1


# ---- API ---------------------------------------------------------------------------------------


def test_api_list_create_update(client, agency, make_user):
    ExpertFactory()
    client.force_login(agency)
    response = client.get("/api/v1/experts/")
    assert response.status_code == 200
    response = client.post(
        "/api/v1/experts/",
        {"name": "张三", "id_number": "X123", "disciplines": ["080.10", "520"]},
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["disciplines"] == [{"code": "080.10", "is_primary": True}, {"code": "520", "is_primary": False}]
    response = client.patch(f"/api/v1/experts/{body['id']}/", {"phone": "010-2"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["phone"] == "010-2"
    response = client.post("/api/v1/experts/", {"name": "重复", "id_number": "X123"}, content_type="application/json")
    assert response.status_code == 400 and "id_number" in response.json()["fields"]
    response = client.post(
        "/api/v1/experts/", {"name": "坏", "id_number": "X9", "disciplines": ["08A"]}, content_type="application/json"
    )
    assert response.status_code == 400


@pytest.mark.parametrize("role", ["applicant", "expert"])
def test_api_is_404_for_other_roles(client, make_user, role):
    expert = ExpertFactory()
    client.force_login(make_user(role))
    assert client.get("/api/v1/experts/").status_code == 404
    assert client.get(f"/api/v1/experts/{expert.pk}/").status_code == 404


def test_api_ministry_reads_only(client, make_user):
    expert = ExpertFactory()
    client.force_login(make_user("ministry"))
    assert client.get(f"/api/v1/experts/{expert.pk}/").status_code == 200
    response = client.post("/api/v1/experts/", {"name": "A", "id_number": "B"}, content_type="application/json")
    assert response.status_code == 404 and Expert.objects.count() == 1


def test_api_import(client, agency):
    client.force_login(agency)
    response = client.post("/api/v1/experts/import/", {"file": xlsx_file([["张三", "110101198001011234"]])})
    assert response.status_code == 201 and response.json()["created"] == 1
    rows = [["李四", "110101198001015678", "", "", "", "", "8O"], ["王五", "110101198001015678"]]
    response = client.post("/api/v1/experts/import/", {"file": xlsx_file(rows)})
    assert response.status_code == 400
    body = response.json()
    assert body["rule"] == "V1" and body["code"] == "import_refused"
    assert "rows.2.学科代码" in body["fields"] and "rows.3.身份证件号" in body["fields"]
    assert {finding["row"] for finding in body["findings"]} == {2, 3}
    assert Expert.objects.count() == 1
