import functools

import factory
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from accounts.models import Organisation, User
from accounts.validators import credit_code_check_character

DEFAULT_PASSWORD = "Correct-Horse-2026"


@functools.cache
def default_password_hash() -> str:
    return make_password(DEFAULT_PASSWORD)


def credit_code_for(number: int) -> str:
    body = f"91110000MA{number:07d}"
    return body + credit_code_check_character(body)


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"示范单位{n:04d}")
    credit_code = factory.Sequence(credit_code_for)
    kind = Organisation.Kind.UNIVERSITY


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n:04d}")
    real_name = factory.Sequence(lambda n: f"用户{n:04d}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.cn")
    organisation = factory.SubFactory(OrganisationFactory)
    is_real_name_verified = True
    # One Argon2 hash of DEFAULT_PASSWORD shared by all test users: hashing is slow on purpose.
    password = factory.LazyFunction(lambda: default_password_hash())

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if not create or not extracted:
            return
        self.groups.set([Group.objects.get_or_create(name=code)[0] for code in extracted])
        self.is_staff = "admin" in extracted
        self.save(update_fields=["is_staff"])
