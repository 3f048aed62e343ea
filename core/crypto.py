"""Field-level encryption of personal data (ID and phone numbers) with a keyed blind index.

A database dump shows no ID or phone number: the column holds a Fernet token (AES-128-CBC with an
HMAC-SHA256, from the `cryptography` package; nothing hand-written). Looking people up by their
number, and finding duplicates, goes through a second column, the *blind index*: HMAC-SHA256 of
the normalized value under a separate key, so equal numbers give equal index values without
the index revealing the number.

Keys live outside the database, in the environment (config/settings.py):

    LECTERN_PII_KEYS       Fernet keys, comma-separated, newest first. New values are written
                           with the first; any of them reads. `manage.py pii_rotate_key`
                           re-encrypts every row with the newest, after which old keys may go.
    LECTERN_PII_INDEX_KEY  the blind index's HMAC key (at least 32 characters). Changing it
                           needs `manage.py pii_rotate_key --reindex`.

Outside production (LECTERN_ENV development or test) a fixed development key is used when none is set;
in production a missing or malformed key is refused by a system check and at first use.

In models:

    phone = EncryptedField(_("手机号码"), max_length=20, blank=True, index_field="phone_bidx",
                           kind="phone")
    phone_bidx = BlindIndexField(source="phone", kind="phone")

`filter(phone=…)`, `phone__iexact`, `phone__in=[…]`, `Q(phone=…)` keep working: those lookups
compare the blind index column. Other lookups (contains, startswith…) are refused with a
FieldError — an encrypted value cannot be searched by part. `save()` and `bulk_create()` fill
the index (BlindIndexField.pre_save); `QuerySet.update()` and `bulk_update()` of an encrypted
field fill it too when the model's manager uses `PersonalDataQuerySet`, and an update with an
expression (F(), Concat…) is refused.
"""

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django import forms
from django.conf import settings
from django.core import checks, validators
from django.core.exceptions import EmptyResultSet, ImproperlyConfigured
from django.db import NotSupportedError, models
from django.db.models.lookups import IsNull, Lookup

# Development only (never in production: see pii_key_check): fixed so that a development
# database stays readable between runs.
DEV_KEY = base64.urlsafe_b64encode(hashlib.sha256(b"lectern-development-pii-key").digest()).decode()
DEV_INDEX_KEY = "lectern-development-blind-index-key-not-secret"
TOKEN_PREFIX = "gAAAAA"  # every Fernet token (version byte 0x80) starts so in base64


def _dev_allowed() -> bool:
    """Development and tests (any LECTERN_ENV but production) may use the development key."""
    return getattr(settings, "LECTERN_ENV", "production") != "production"


def key_problems() -> list[str]:
    """What is wrong with the configured keys (empty when they are usable here)."""
    keys = list(getattr(settings, "LECTERN_PII_KEYS", []) or [])
    index_key = getattr(settings, "LECTERN_PII_INDEX_KEY", "") or ""
    problems = []
    if not keys and not _dev_allowed():
        problems.append("LECTERN_PII_KEYS is required in production (Fernet keys, newest first).")
    for n, key in enumerate(keys, 1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            problems.append(
                f"LECTERN_PII_KEYS: key {n} is not a Fernet key (32 url-safe base64 bytes)."
            )
    if not index_key and not _dev_allowed():
        problems.append("LECTERN_PII_INDEX_KEY is required in production.")
    elif index_key and len(index_key) < 32:
        problems.append("LECTERN_PII_INDEX_KEY must be at least 32 characters.")
    if index_key and index_key in keys:
        problems.append("LECTERN_PII_INDEX_KEY must differ from the encryption keys.")
    return problems


@checks.register(checks.Tags.security)
def pii_key_check(app_configs=None, **kwargs):
    return [checks.Error(p, id="lectern.E901") for p in key_problems()]


def _keys() -> tuple[tuple[str, ...], str]:
    keys = tuple(getattr(settings, "LECTERN_PII_KEYS", []) or ())
    index_key = getattr(settings, "LECTERN_PII_INDEX_KEY", "") or ""
    if not keys or not index_key:
        if not _dev_allowed():
            raise ImproperlyConfigured("; ".join(key_problems()))
        keys = keys or (DEV_KEY,)
        index_key = index_key or DEV_INDEX_KEY
    return keys, index_key


@lru_cache(maxsize=8)
def _fernets(keys: tuple[str, ...]) -> tuple[MultiFernet, Fernet]:
    try:
        fernets = [Fernet(k) for k in keys]
    except (ValueError, TypeError):
        raise ImproperlyConfigured("; ".join(key_problems())) from None
    return MultiFernet(fernets), fernets[0]


def encrypt(plain) -> str:
    """The token of a value, under the newest key. A blank value stays blank."""
    if plain is None or plain == "":
        return plain if plain is not None else ""
    multi, _newest = _fernets(_keys()[0])
    return multi.encrypt(str(plain).encode()).decode("ascii")


class UndecryptableError(ImproperlyConfigured):
    pass


def is_token(value) -> bool:
    return isinstance(value, str) and value.startswith(TOKEN_PREFIX)


def decrypt(token) -> str:
    """The value of a token. A blank stays blank; a value that is no token (a row written before
    encryption, until the data migration has run) is returned as it is."""
    if not is_token(token):
        return token
    multi, _newest = _fernets(_keys()[0])
    try:
        return multi.decrypt(token.encode("ascii")).decode()
    except InvalidToken:
        raise UndecryptableError(
            "A personal-data value cannot be decrypted with LECTERN_PII_KEYS (a key was removed "
            "before `manage.py pii_rotate_key` re-encrypted it?)."
        ) from None


def on_newest_key(token) -> bool:
    """Is this token readable with the newest key (so a rotation may skip it)?"""
    if not is_token(token):
        return not token  # blanks need nothing; plaintext needs encrypting
    _multi, newest = _fernets(_keys()[0])
    try:
        newest.decrypt(token.encode("ascii"))
    except InvalidToken:
        return False
    return True


def normalize(kind: str, value) -> str:
    """The form a value is indexed in: spaces and dashes dropped, letters upper-case (a
    trailing x of an ID number and X match)."""
    if value is None:
        return ""
    text = str(value).strip().upper()
    return "".join(ch for ch in text if not ch.isspace() and ch != "-")


def blind_index(kind: str, value) -> str:
    """HMAC-SHA256 (hex) of the normalized value under the index key, separated by kind so an
    ID number and a phone number never share an index value. A blank gives a blank."""
    norm = normalize(kind, value)
    if not norm:
        return ""
    key = _keys()[1].encode()
    return hmac.new(key, f"{kind}:{norm}".encode(), hashlib.sha256).hexdigest()


# --- Model fields -------------------------------------------------------------------------------


class _BlindLookup(Lookup):
    """A lookup on an EncryptedField answered by its blind index column."""

    prepare_rhs = False
    can_use_none_as_rhs = False

    def get_prep_lookup(self):
        if hasattr(self.rhs, "resolve_expression"):
            raise NotSupportedError(
                "An encrypted field is compared with plain values only (its blind index)."
            )
        return self.rhs

    def index_sql(self, compiler):
        field = getattr(self.lhs, "target", None)
        if not isinstance(field, EncryptedField) or not hasattr(self.lhs, "alias"):
            raise NotSupportedError("An encrypted field cannot be compared through a transform.")
        index = field.model._meta.get_field(field.index_field)
        return field.kind, compiler.compile(index.get_col(self.lhs.alias))


class BlindExact(_BlindLookup):
    lookup_name = "exact"

    def as_sql(self, compiler, connection):
        kind, (sql, params) = self.index_sql(compiler)
        return f"{sql} = %s", [*params, blind_index(kind, self.rhs)]


class BlindIExact(BlindExact):
    lookup_name = "iexact"  # normalized anyway: the admin's "=field" search


class BlindIn(_BlindLookup):
    lookup_name = "in"

    def as_sql(self, compiler, connection):
        kind, (sql, params) = self.index_sql(compiler)
        values = sorted({blind_index(kind, v) for v in self.rhs if v is not None})
        if not values:
            raise EmptyResultSet
        return f"{sql} IN ({', '.join(['%s'] * len(values))})", [*params, *values]


class EncryptedField(models.TextField):
    """A text value stored as a Fernet token; Python code reads and writes the plain value.
    `max_length` bounds the plain value (form and model validation); the column is text."""

    LOOKUPS = {"exact": BlindExact, "iexact": BlindIExact, "in": BlindIn, "isnull": IsNull}

    def __init__(self, *args, index_field: str, kind: str, **kwargs):
        self.index_field, self.kind = index_field, kind
        super().__init__(*args, **kwargs)
        if self.max_length:
            self.validators.append(validators.MaxLengthValidator(self.max_length))

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["index_field"], kwargs["kind"] = self.index_field, self.kind
        return name, path, args, kwargs

    def get_lookup(self, lookup_name):
        return self.LOOKUPS.get(lookup_name)

    def get_transform(self, lookup_name):
        return None

    def from_db_value(self, value, expression, connection):
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value) if value else value

    def formfield(self, **kwargs):
        return models.Field.formfield(
            self, **{"form_class": forms.CharField, "max_length": self.max_length, **kwargs}
        )


class BlindIndexField(models.CharField):
    """The blind index of another field of the same row, derived from it on every save and
    bulk_create (pre_save); never edited by hand."""

    def __init__(self, *args, source: str, kind: str, **kwargs):
        self.source, self.kind = source, kind
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault("editable", False)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"], kwargs["kind"] = self.source, self.kind
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = blind_index(self.kind, getattr(model_instance, self.source))
        setattr(model_instance, self.attname, value)
        return value


def encrypted_fields(model) -> list[EncryptedField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedField)]


class PersonalDataQuerySet(models.QuerySet):
    """`update()` and `bulk_update()` that keep the blind index of encrypted fields in step."""

    def update(self, **kwargs):
        for field in encrypted_fields(self.model):
            if field.name in kwargs and field.index_field not in kwargs:  # (bulk_update: both)
                value = kwargs[field.name]
                if hasattr(value, "resolve_expression"):
                    raise NotSupportedError(
                        f"{field.name} is encrypted: update it with a plain value, not an expression."
                    )
                kwargs[field.index_field] = blind_index(field.kind, value)
        return super().update(**kwargs)

    update.alters_data = True

    def bulk_update(self, objs, fields, batch_size=None):
        objs, fields = list(objs), list(fields)
        for field in encrypted_fields(self.model):
            if field.name in fields:
                index = self.model._meta.get_field(field.index_field)
                for obj in objs:
                    index.pre_save(obj, add=False)
                if field.index_field not in fields:
                    fields.append(field.index_field)
        return super().bulk_update(objs, fields, batch_size=batch_size)

    bulk_update.alters_data = True


class PersonalDataModel(models.Model):
    """A model with encrypted fields: `save(update_fields=[…])` naming an encrypted field saves
    its blind index too (so the index never lags behind the value)."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            update_fields = set(update_fields)
            for field in encrypted_fields(type(self)):
                if field.name in update_fields or field.attname in update_fields:
                    update_fields.add(field.index_field)
            kwargs["update_fields"] = update_fields
        super().save(*args, **kwargs)

    save.alters_data = True


# --- Key rotation ---------------------------------------------------------------------------------


def rotate_model(model, *, batch: int = 1000, after: int = 0, reindex: bool = False, say=None):
    """Re-encrypt every encrypted value of `model` not readable with the newest key (and, with
    `reindex`, recompute every blind index under the current index key), in batches of `batch`
    rows in primary-key order, each batch committed on its own. Resumable: a rerun skips what is
    already on the newest key; `after` starts past a primary key. Returns (rows seen, rows
    changed)."""
    from django.db import connection, transaction

    fields = encrypted_fields(model)
    if not fields:
        return 0, 0
    meta, q = model._meta, connection.ops.quote_name
    pk = q(meta.pk.column)
    cols = [q(f.column) for f in fields]
    index_cols = [q(meta.get_field(f.index_field).column) for f in fields]
    sets = ", ".join(f"{c} = %s, {i} = %s" for c, i in zip(cols, index_cols, strict=True))
    multi, _newest = _fernets(_keys()[0])
    seen = changed = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {pk}, {', '.join(cols)} FROM {q(meta.db_table)} "
                f"WHERE {pk} > %s ORDER BY {pk} LIMIT %s",
                [after, batch],
            )
            rows = cursor.fetchall()
            if not rows:
                break
            updates = []
            for pk_value, *tokens in rows:
                if not reindex and all(on_newest_key(t) for t in tokens):
                    continue
                params = []
                for field, token in zip(fields, tokens, strict=True):
                    token = token or ""
                    if is_token(token):
                        new = (
                            token if on_newest_key(token) else multi.rotate(token.encode()).decode()
                        )
                    else:
                        new = encrypt(token)
                    params += [new, blind_index(field.kind, decrypt(new))]
                updates.append([*params, pk_value])
            if updates:
                cursor.executemany(f"UPDATE {q(meta.db_table)} SET {sets} WHERE {pk} = %s", updates)
            seen, changed, after = seen + len(rows), changed + len(updates), rows[-1][0]
        if say:
            say(f"{meta.label}: {seen} rows read, {changed} re-encrypted, up to id {after}")
    return seen, changed


def rotate_all(*, batch: int = 1000, after: int = 0, reindex: bool = False, say=None) -> dict:
    """rotate_model for every installed model holding an encrypted field."""
    from django.apps import apps

    return {
        m._meta.label: rotate_model(m, batch=batch, after=after, reindex=reindex, say=say)
        for m in apps.get_models()
        if encrypted_fields(m)
    }
