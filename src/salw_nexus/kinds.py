"""The record kinds: one declaration each, which every layer iterates over.

A kind is what a record file lists under one top-level key (``projects:``,
``trainings:``, ``deliveries:``) and what one table of the store holds. Everything the
rest of the code needs to know about a kind in general is declared here once: its names,
its input model and table, the field that dates it, what a new record must be given, the
command-line option that sets each field, and what its made-up ids are made from. Code
that branches on a kind asks this registry, never a string.

Light on purpose: the models are imported only when asked for (``Kind.model``), so that
``nexus --help`` does not pay for pydantic and SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from importlib import import_module
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, get_args

if TYPE_CHECKING:
    from pydantic import BaseModel
    from sqlalchemy import Table

# The field of a training or delivery that names its project.
PROJECT_FIELD = "project"
# The column that stores it: a record's field and its column differ only here.
PROJECT_COLUMN = "project_id"
# The field of a project, training or delivery that lists the ids of its sources.
SOURCES_FIELD = "sources"
# The field naming the agencies represented at a training; the recipient of a delivery.
AGENCIES_FIELD = "agencies"
AGENCY_FIELD = "agency"


@dataclass(frozen=True, eq=False)  # one object per kind: compared and hashed by identity
class Kind:
    plural: str  # the record file's key, the CSV file's stem: "trainings"
    singular: str  # in messages: "a training with the id ..."
    model_name: str  # the input model in models.py
    table_name: str  # the table model in models.py
    date_field: str | None = None  # what orders and filters records by date
    required: tuple[str, ...] = ()  # what `add-*` asks for when it is not given
    # What the donor report counts or cites beyond those: asked for too, Enter = not known.
    reported: tuple[str, ...] = ()
    # Options whose name is not the field's (the field "agencies" is set by "agency").
    option_names: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    id_words_from: str | None = None  # a made id ends with the words of this field
    editable: bool = True  # changed from the command line (projects: in a record file)

    @cached_property  # asked for once per record read
    def model(self) -> type[BaseModel]:
        """The input model: validates a record of this kind from a file or from options."""
        model: type[BaseModel] = getattr(import_module("salw_nexus.models"), self.model_name)
        return model

    @cached_property
    def fields(self) -> tuple[str, ...]:
        """The fields a record of this kind is written with (version 1's are read only)."""
        return tuple(name for name, info in self.model.model_fields.items() if not info.exclude)

    @cached_property
    def table(self) -> Table:
        """The table of the store holding records of this kind (SQLAlchemy Core)."""
        table: Table = getattr(import_module("salw_nexus.models"), self.table_name).__table__
        return table

    def option(self, field_name: str) -> str:
        """The name of the command-line option that sets ``field_name`` (without dashes)."""
        return self.option_names.get(field_name, field_name.replace("_", "-"))

    def __str__(self) -> str:
        return self.plural


# Sources and agencies are what the other records refer to by id: written in a record file
# (agencies also by `nexus agencies merge`, and made by a load for a name it does not know).
SOURCES = Kind(plural="sources", singular="source", model_name="SourceIn",
               table_name="Source", editable=False)  # fmt: skip
AGENCIES = Kind(plural="agencies", singular="agency", model_name="AgencyIn",
                table_name="Agency", editable=False)  # fmt: skip
PROJECTS = Kind(plural="projects", singular="project", model_name="ProjectIn",
                table_name="Project", editable=False)  # fmt: skip
TRAININGS = Kind(
    plural="trainings",
    singular="training",
    model_name="TrainingIn",
    table_name="Training",
    date_field="start",
    required=("title", "country", "start", "end"),
    reported=("participants", "approximate", "female", "male", "agencies", "audience", "sources"),
    option_names=MappingProxyType(
        {"agencies": "agency", "topics": "topic", "organisers": "organiser", "sources": "source"}
    ),
    id_words_from="title",
)
DELIVERIES = Kind(
    plural="deliveries",
    singular="delivery",
    model_name="DeliveryIn",
    table_name="Delivery",
    date_field="date",
    required=("date", "country", "agency", "items"),
    reported=("sources",),
    option_names=MappingProxyType({"items": "item", "officials": "official", "sources": "source"}),
    id_words_from="items",
)
# In the order a record file lists them and a load writes them: what is referred to first.
KINDS: tuple[Kind, ...] = (SOURCES, AGENCIES, PROJECTS, TRAININGS, DELIVERIES)
# The kinds that cite sources (field SOURCES_FIELD) and name agencies (AGENCY_FIELDS).
CITING: tuple[Kind, ...] = (PROJECTS, TRAININGS, DELIVERIES)
DATED: tuple[Kind, ...] = tuple(kind for kind in KINDS if kind.date_field)
PLURALS: tuple[str, ...] = tuple(kind.plural for kind in KINDS)


def by_plural(name: str) -> Kind:
    """The kind a record file lists under ``name``; KeyError when there is none."""
    for kind in KINDS:
        if kind.plural == name:
            return kind
    raise KeyError(name)


def of_record(record: Any) -> Kind:
    """The kind of an input model instance."""
    name = type(record).__name__
    for kind in KINDS:
        if kind.model_name == name:
            return kind
    raise TypeError(f"not a record: {name}")


def field_names_at(model: type[Any], loc: Sequence[str | int]) -> list[str]:
    """The fields of the model found at ``loc`` inside ``model`` (an indicator's in a
    project, an item's in a delivery): what an unknown key there could have meant."""
    for part in loc:
        if isinstance(part, int):
            continue  # a position in a list: the list's model
        field = model.model_fields.get(part)
        inner = _model_in(field.annotation) if field is not None else None
        if inner is None:
            break
        model = inner
    return list(model.model_fields)


def _model_in(annotation: Any) -> type[Any] | None:
    """The model an annotation holds (``list[ItemIn]``, ``Annotated[list[IndicatorIn], ...]``)."""
    if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
        return annotation
    for argument in get_args(annotation):
        found = _model_in(argument)
        if found is not None:
            return found
    return None
