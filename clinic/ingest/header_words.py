"""Headers as words (camelCase, snake_case, kebab-case, punctuation alike); identifying ones."""

from __future__ import annotations

import re

# Word boundaries inside one token: "appointmentDate" -> "appointment Date", "NHSNumber" ->
# "NHS Number", "Price2" stays whole.
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
# A trailing unit or currency in brackets: "Price (£)", "Volume [ml]", "Duration (mins)".
_UNIT = re.compile(r"\s*[\(\[][^\)\]]*[\)\]]\s*$")
_SYMBOLS = {"#": " number ", "&": " and ", "%": " percent ", "£": " gbp "}
_NOT_WORD = re.compile(r"[^0-9a-z]+")

# The words of a header that make it identifying (issue 18: name, phone, mobile, tel, email,
# birth, birthday, DOB, address, street, postcode, zip, NHS number, notes, comments), plus the
# spellings exports use for them. Matched on whole words, so "Telangiectasia" is not "tel".
_IDENTIFYING_WORDS = {
    "name": "a name",
    "names": "a name",
    "surname": "a name",
    "forename": "a name",
    "phone": "a telephone number",
    "phones": "a telephone number",
    "mobile": "a telephone number",
    "tel": "a telephone number",
    "telephone": "a telephone number",
    "landline": "a telephone number",
    "email": "an e-mail address",
    "mail": "an e-mail address",
    "birth": "a date of birth",
    "birthday": "a date of birth",
    "birthdate": "a date of birth",
    "dob": "a date of birth",
    "address": "an address",
    "street": "an address",
    "postcode": "an address",
    "zip": "an address",
    "notes": "free text that may name someone",
    "note": "free text that may name someone",
    "comments": "free text that may name someone",
    "comment": "free text that may name someone",
}
_IDENTIFYING_PAIRS = {
    ("post", "code"): "an address",
    ("postal", "code"): "an address",
    ("zip", "code"): "an address",
    ("nhs", "number"): "an NHS number",
    ("land", "line"): "a telephone number",
    ("e", "mail"): "an e-mail address",
}


def words(header: str) -> list[str]:
    """A header's words, lower case: `appointmentDate`, `appointment_date`, `Appointment-Date`."""
    text = header.strip().lstrip("\ufeff")
    text = _UNIT.sub("", text) or text
    for symbol, word in _SYMBOLS.items():
        text = text.replace(symbol, word)
    text = _CAMEL.sub(" ", text)
    return [w for w in _NOT_WORD.split(text.lower()) if w]


def key(header: str) -> str:
    """A header as matched: its words joined by single spaces (`Ref #` -> `ref number`)."""
    return " ".join(words(header))


def identifying(header: str) -> str | None:
    """Why a header names identifying data (`a telephone number` ...), or None."""
    found = words(header)
    for pair, reason in _IDENTIFYING_PAIRS.items():
        if any(tuple(found[i : i + 2]) == pair for i in range(len(found) - 1)):
            return reason
    for word in found:
        if word in _IDENTIFYING_WORDS:
            return _IDENTIFYING_WORDS[word]
    return None


# E-mail addresses and UK telephone numbers inside kept free text (side-effect notes, action,
# outcome). The same patterns are the ingest_mask SQL macro's; a unit test keeps them equal.
EMAIL = r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}"
UK_PHONE = r"(\+44\s?\(?0?\)?\s?|\b0)(\d[\s\-]?){9,10}\b"


def mask(text: str) -> str:
    """Free text with e-mail addresses and UK telephone numbers replaced by a placeholder."""
    text = re.sub(EMAIL, "[e-mail removed]", text)
    return re.sub(UK_PHONE, "[phone removed]", text)


def value_key(value: str) -> str:
    """A value as matched: lower case, letters and digits only, words one space apart.

    The same rule as the vendor_key SQL macro, so `No-show`, `NO_SHOW` and `no show` agree.
    """
    return " ".join(w for w in _NOT_WORD.split(value.lower()) if w)
