"""A project's ``iati:`` mapping: the IATI references the record itself does not hold.

An IATI activity names its organisations and its activity by identifiers that a
registration agency or IATI gave them, classes its sectors and status by codelists, and
splits its budget over its recipient countries. None of this is in the sources the record
is made of, so an officer gives it on the project (DESIGN §1b), and ``nexus export
--format iati`` (``iati.py``) refuses to invent what is not given.

Loading and ``nexus check`` validate the shape of what is given, so that a bad reference is
found before an export: organisation identifiers as IATI writes them
(``AGENCY-IDENTIFIER``: a registration agency's code such as ``GB-COH`` or ``XM-DAC``, then
the organisation's identifier there), the activity identifier beginning with the reporting
organisation's, codes in the IATI 2.03 codelists (``iati_codelists.py``), percentages that
add up to 100. What the export needs but is not given is said by ``missing_refs`` when an
export is asked for: a project may carry a partial mapping while it is being filled in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, model_validator

from . import iati_codelists as codelists
from .fields import Country, InputModel, Text, value_errors

# IATI's rule for identifiers (its standard ruleset: no /, &, | or ?); no white space either.
IDENTIFIER_CHARACTERS = r"[^\s/&|?]+"
# An organisation identifier: the registration agency's code (country or XM/XI, then the
# agency: GB-COH, XM-DAC, XI-IATI), then the organisation's identifier in that register;
# or one of IATI's own codes for governments and agencies (CA-3, GB-1: the
# OrganisationIdentifier codelist), which have no part after the agency's.
ORGANISATION_RE = re.compile(rf"[A-Z]{{2}}-[A-Za-z0-9_]+(?:-{IDENTIFIER_CHARACTERS})?")
IDENTIFIER_RE = re.compile(IDENTIFIER_CHARACTERS)
VOCABULARY_CODES = {"1": codelists.SECTOR, "2": codelists.SECTOR_CATEGORY}


def _matching(pattern: re.Pattern[str], problem: str) -> Callable[[Any], Any]:
    """A validator of text that ``pattern`` matches whole (surrounding spaces aside);
    ``problem`` says what it is not, after the value: "is not an IATI ..."."""

    def check(value: Any) -> Any:
        if not isinstance(value, str):
            return value  # the type's own error
        if not pattern.fullmatch(value.strip()):
            raise ValueError(f"{value!r} {problem}")
        return value.strip()

    return check


_organisation_ref = _matching(ORGANISATION_RE, (
    "is not an IATI organisation identifier: write the registration agency's code, then the "
    "organisation's identifier there (e.g. GB-COH-01234567; a government's own, e.g. CA-3), "
    "without spaces, /, &, | or ?"))  # fmt: skip
_activity_identifier = _matching(
    IDENTIFIER_RE, "is not an IATI activity identifier: no spaces, /, &, | or ? in it"
)


def _in_codelist(codes: Mapping[str, str], name: str) -> Callable[[Any], Any]:
    """A validator of a code in the IATI codelist ``name``: given as a number or as text,
    kept as a number where it is one (``type: 40``, ``status: 2``)."""

    def check(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | str):
            return value  # the type's own error
        code = str(value).strip()
        if code not in codes:
            shown = ", ".join(f"{c} {n}" for c, n in list(codes.items())[:12])
            more = ", ..." if len(codes) > 12 else ""
            raise ValueError(f"{code!r} is not in IATI's {name} codelist ({shown}{more})")
        return int(code) if code.isdigit() else code

    return check


OrganisationType = Annotated[
    int | str, BeforeValidator(_in_codelist(codelists.ORGANISATION_TYPE, "OrganisationType"))
]
ActivityStatus = Annotated[
    int | str, BeforeValidator(_in_codelist(codelists.ACTIVITY_STATUS, "ActivityStatus"))
]
SectorVocabulary = Annotated[
    int | str, BeforeValidator(_in_codelist(codelists.SECTOR_VOCABULARY, "SectorVocabulary"))
]
Percentage = Annotated[int | float, Field(ge=0, le=100, allow_inf_nan=False)]


def _adds_to_100(values: list[int | float]) -> bool:
    return round(sum(values), 6) == 100


class OrganisationIn(InputModel):
    """An organisation as IATI names it: its identifier, its type and its name."""

    ref: Annotated[str, Field(strict=True), BeforeValidator(_organisation_ref)]
    type: OrganisationType
    name: Text


def _sector_code(value: Any) -> Any:
    """A code as written: a whole number (15240) or text ("16.4", "007"), never a decimal
    number or a truth value, which YAML makes of an unquoted code."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(
            f"a sector code is a whole number or text, not {value!r}: quote a code such as "
            '"16.4" (YAML reads it as a number)'
        )
    if isinstance(value, str) and not value.strip():
        raise ValueError("a sector code is not empty")
    return value.strip() if isinstance(value, str) else value


class SectorIn(InputModel):
    """A sector of the activity: a code in a sector vocabulary (1: DAC 5-digit)."""

    vocabulary: SectorVocabulary = 1
    code: Annotated[int | str, Field(union_mode="smart"), BeforeValidator(_sector_code)]
    percentage: Percentage | None = None

    @model_validator(mode="after")
    def _code_in_vocabulary(self) -> SectorIn:
        codes = VOCABULARY_CODES.get(str(self.vocabulary))
        code = str(self.code).strip()
        if codes is not None and code not in codes:
            name = codelists.SECTOR_VOCABULARY[str(self.vocabulary)]
            raise ValueError(
                f"sector code {code!r} is not in vocabulary {self.vocabulary} ({name})"
            )
        if codes is not None and code.isdigit():
            self.__dict__["code"] = int(code)  # not by assignment: that validates again
        return self


class IatiIn(InputModel):
    """A project's IATI references (DESIGN §1b). Each may be missing while the mapping is
    filled in; ``missing_refs`` says which an export needs."""

    identifier: Annotated[str | None, Field(strict=True), BeforeValidator(_activity_identifier)] = (
        None
    )
    reporting_org: OrganisationIn | None = None
    funding_orgs: Annotated[list[OrganisationIn], Field(default_factory=list)]
    implementing_orgs: Annotated[list[OrganisationIn], Field(default_factory=list)]
    sectors: Annotated[list[SectorIn], Field(default_factory=list)]
    status: ActivityStatus | None = None
    # The activity's description for IATI; without it, its title and who implements and
    # funds it. (A project's notes are the record keeper's, and are never published.)
    description: Text | None = None
    # Each recipient country's share of the budget, which the record does not hold; without
    # it, an activity in several countries is split evenly (docs/iati.md).
    recipient_countries: dict[Country, Percentage] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> IatiIn:
        """Rules across fields, each reported at the field it is about."""
        from pydantic_core import ValidationError

        problems: list[tuple[str, str]] = []
        reporting = self.reporting_org
        if self.identifier and reporting and not self.identifier.startswith(f"{reporting.ref}-"):
            problems.append(("identifier", (
                f"{self.identifier!r} must begin with the reporting organisation's identifier "
                f"and a hyphen ({reporting.ref}-...), as IATI activity identifiers do")))  # fmt: skip
        by_vocabulary: dict[str, list[SectorIn]] = {}
        for sector in self.sectors:
            by_vocabulary.setdefault(str(sector.vocabulary), []).append(sector)
        for vocabulary, sectors in by_vocabulary.items():
            shares = [s.percentage for s in sectors]
            if len(sectors) == 1 and shares[0] in (None, 100):
                continue
            if len(sectors) == 1:
                problems.append(("sectors", (
                    f"the only sector of vocabulary {vocabulary} has all of the activity: its "
                    "percentage is 100, or not given")))  # fmt: skip
            elif None in shares or not _adds_to_100([s for s in shares if s is not None]):
                problems.append(("sectors", (
                    f"{len(sectors)} sectors of vocabulary {vocabulary}: give each a percentage, "
                    "and let them add up to 100 (IATI's rule for several sectors)")))  # fmt: skip
        countries = list((self.recipient_countries or {}).values())
        if self.recipient_countries is not None and not _adds_to_100(countries):
            total = round(sum(countries), 6)
            problems.append(
                ("recipient_countries", f"the percentages add up to {total:g}, not 100")
            )
        if problems:
            raise ValidationError.from_exception_data("iati", value_errors(
                [((name,), getattr(self, name), message) for name, message in problems]))  # fmt: skip
        return self


def missing_refs(iati: IatiIn | None) -> list[str]:
    """The references an IATI export needs that ``iati`` does not give, by field name."""
    if iati is None:
        return ["iati"]
    needed = {
        "iati.identifier": iati.identifier,
        "iati.reporting_org": iati.reporting_org,
        "iati.sectors": iati.sectors,
        "iati.status": iati.status,
    }
    return [name for name, value in needed.items() if value in (None, [])]


def iati_of(stored: Mapping[str, Any] | None) -> IatiIn | None:
    """A project row's ``iati`` (its JSON column) as the input model, not validated again
    (see ``models.trusted_project``)."""
    if not stored:
        return None
    values = dict(stored)
    if isinstance(values.get("reporting_org"), Mapping):
        values["reporting_org"] = OrganisationIn.model_construct(**values["reporting_org"])
    for key in ("funding_orgs", "implementing_orgs"):
        values[key] = [OrganisationIn.model_construct(**o) for o in values.get(key) or ()]
    values["sectors"] = [SectorIn.model_construct(**s) for s in values.get("sectors") or ()]
    return IatiIn.model_construct(**values)
