"""ID and phone numbers are encrypted at rest (core.crypto): no plaintext in the table or a dump,
lookups and duplicate checks through the keyed blind index, key rotation, production keys."""

import io
import time

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import NotSupportedError, connection
from django.db.models import F, Q
from django.test import override_settings

from accounts.models import User
from core import crypto
from core.models import AuditLog
from tests.factories import UserFactory

ID = "42010619900101123X"
PHONE = "13812345678"


def raw_row(pk):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id_number, phone, id_number_bidx, phone_bidx FROM accounts_user WHERE id = %s",
            [pk],
        )
        return cursor.fetchone()


def table_text() -> str:
    """Every column of every user row as text, as a dump would hold it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_user")
        return "\n".join("\t".join(str(c) for c in row) for row in cursor.fetchall())


@pytest.mark.django_db
def test_a_raw_read_of_the_table_shows_no_plaintext():
    user = UserFactory(id_number=ID, phone=PHONE)
    id_token, phone_token, id_index, phone_index = raw_row(user.pk)
    assert id_token.startswith("gAAAAA") and phone_token.startswith("gAAAAA")
    text = table_text()
    assert ID not in text and PHONE not in text and ID[6:14] not in text
    assert len(id_index) == 64 and id_index != phone_index
    user.refresh_from_db()
    assert (user.id_number, user.phone) == (ID, PHONE)


@pytest.mark.django_db
def test_blank_values_stay_blank():
    user = UserFactory(id_number="", phone="")
    assert raw_row(user.pk) == ("", "", "", "")
    assert User.objects.filter(pk=user.pk, phone="", id_number="").exists()


@pytest.mark.django_db
def test_lookups_by_value_and_by_list_go_through_the_blind_index():
    a = UserFactory(id_number=ID, phone=PHONE)
    b = UserFactory(id_number="110101199003070019", phone="13900000000")
    assert list(User.objects.filter(id_number=ID)) == [a]
    assert list(User.objects.filter(id_number=ID.lower())) == [a]  # a lower-case x matches
    assert list(User.objects.filter(phone=" 138-1234-5678 ")) == [a]  # normalized
    assert set(User.objects.filter(phone__in=[PHONE, "13900000000", "1"])) == {a, b}
    assert set(User.objects.filter(Q(id_number__in=[ID]) | Q(phone="13900000000"))) == {a, b}
    assert not User.objects.filter(phone__in=[]).exists()
    assert list(User.objects.filter(phone__iexact=PHONE)) == [a]  # the admin's "=phone" search
    assert User.objects.exclude(phone=PHONE).filter(pk=a.pk).count() == 0
    with pytest.raises(FieldError):
        list(User.objects.filter(phone__contains="1234"))  # cannot search by part
    with pytest.raises(NotSupportedError):
        list(User.objects.filter(phone=F("username")))


@pytest.mark.django_db
def test_duplicates_are_found_through_the_index():
    UserFactory(id_number=ID)
    UserFactory(id_number=ID.lower())
    from django.db.models import Count

    dupes = (
        User.objects.exclude(id_number="")
        .values("id_number_bidx")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert [d["n"] for d in dupes] == [2]


@pytest.mark.django_db
def test_every_way_of_writing_keeps_the_index_in_step():
    user = UserFactory(phone="")
    user.phone = PHONE
    user.save(update_fields=["phone"])  # the index is saved with it
    assert User.objects.get(phone=PHONE) == user

    User.objects.filter(pk=user.pk).update(phone="13600000000")
    assert User.objects.get(phone="13600000000") == user
    assert PHONE not in table_text() and "13600000000" not in table_text()
    with pytest.raises(NotSupportedError):
        User.objects.filter(pk=user.pk).update(phone=F("username"))

    made = User.objects.bulk_create(
        [
            User(username=f"bulk{i}", full_name="批量", id_number=f"11010119900307{i:03d}X")
            for i in range(3)
        ]
    )
    assert User.objects.get(id_number="11010119900307001X") == made[1]
    made[0].id_number = "11010119900307999X"
    User.objects.bulk_update(made[:1], ["id_number"])
    assert User.objects.get(id_number="11010119900307999X").pk == made[0].pk
    assert "11010119900307" not in table_text()


def test_the_plain_value_is_bounded_in_forms_and_validation():
    field = User._meta.get_field("id_number")
    form_field = field.formfield()
    assert form_field.max_length == 18 and form_field.widget.input_type == "text"
    with pytest.raises(Exception, match="18"):
        field.run_validators("1" * 19)


@pytest.mark.django_db
def test_rotation_re_encrypts_with_the_newest_key_and_keeps_values_readable():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    index_key = "k" * 40
    with override_settings(LECTERN_PII_KEYS=[old], LECTERN_PII_INDEX_KEY=index_key):
        users = [
            UserFactory(id_number=f"3301011990010{i:04d}X", phone=f"1370000{i:04d}")
            for i in range(5)
        ]
        before = {u.pk: raw_row(u.pk) for u in users}
    with override_settings(LECTERN_PII_KEYS=[new, old], LECTERN_PII_INDEX_KEY=index_key):
        call_command("pii_rotate_key", batch=2, stdout=io.StringIO())
        after = {u.pk: raw_row(u.pk) for u in users}
        assert all(after[pk][0] != before[pk][0] for pk in after)  # re-encrypted
        assert all(after[pk][2:] == before[pk][2:] for pk in after)  # same index
        # a rerun changes nothing (resumable: rows on the newest key are skipped)
        assert crypto.rotate_all(batch=2)["accounts.User"][1] == 0
        assert AuditLog.objects.filter(action="pii.rotate_key").exists()
    with override_settings(LECTERN_PII_KEYS=[new], LECTERN_PII_INDEX_KEY=index_key):
        for u in users:  # readable with the new key alone, and found by value
            assert User.objects.get(phone=u.phone).id_number == u.id_number
    with (
        override_settings(LECTERN_PII_KEYS=[old], LECTERN_PII_INDEX_KEY=index_key),
        pytest.raises(crypto.UndecryptableError),
    ):
        User.objects.get(pk=users[0].pk)


@pytest.mark.django_db
def test_a_new_index_key_needs_a_reindex():
    key = Fernet.generate_key().decode()
    with override_settings(LECTERN_PII_KEYS=[key], LECTERN_PII_INDEX_KEY="a" * 40):
        user = UserFactory(phone=PHONE)
    with override_settings(LECTERN_PII_KEYS=[key], LECTERN_PII_INDEX_KEY="b" * 40):
        assert not User.objects.filter(phone=PHONE).exists()
        crypto.rotate_all(reindex=True)
        assert User.objects.get(phone=PHONE) == user


def test_production_refuses_missing_or_bad_keys():
    with override_settings(LECTERN_ENV="production", LECTERN_PII_KEYS=[], LECTERN_PII_INDEX_KEY=""):
        assert {e.id for e in crypto.pii_key_check()} == {"lectern.E901"}
        with pytest.raises(Exception, match="LECTERN_PII_KEYS"):
            crypto.encrypt(PHONE)
    with override_settings(
        LECTERN_ENV="production", LECTERN_PII_KEYS=["not-a-key"], LECTERN_PII_INDEX_KEY="short"
    ):
        messages = " ".join(e.msg for e in crypto.pii_key_check())
        assert "key 1 is not a Fernet key" in messages and "at least 32" in messages
    good = Fernet.generate_key().decode()
    with override_settings(
        LECTERN_ENV="production", LECTERN_PII_KEYS=[good], LECTERN_PII_INDEX_KEY="i" * 40
    ):
        assert crypto.pii_key_check() == []
    with override_settings(
        LECTERN_ENV="development", LECTERN_PII_KEYS=[], LECTERN_PII_INDEX_KEY=""
    ):
        assert crypto.pii_key_check() == []  # the development key


def test_encryption_costs_little_per_person():
    """The province seeder and importers write many people: encrypting an ID and a phone number
    and indexing both stays far below a millisecond per person."""
    n = 2000
    start = time.perf_counter()
    for i in range(n):
        crypto.encrypt(f"4201061990{i:08d}")
        crypto.encrypt(f"138{i:08d}")
        crypto.blind_index("id_number", f"4201061990{i:08d}")
        crypto.blind_index("phone", f"138{i:08d}")
    per_person = (time.perf_counter() - start) / n
    assert per_person < 0.002, per_person


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_postgres_dump_of_the_table_shows_no_plaintext():
    UserFactory(id_number=ID, phone=PHONE)
    with connection.cursor() as cursor:
        chunks = []
        with cursor.copy("COPY accounts_user TO STDOUT") as copy:  # what pg_dump writes
            for data in copy:
                chunks.append(bytes(data).decode())
    dump = "".join(chunks)
    assert "gAAAAA" in dump and ID not in dump and PHONE not in dump
