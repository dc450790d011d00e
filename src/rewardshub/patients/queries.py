"""Reading profiles and tags, always inside one practice."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import BooleanField, Exists, OuterRef, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.shortcuts import get_object_or_404

from rewardshub.cards.models import Card, CardState  # against the app order: see __init__.py
from rewardshub.cards.numbers import CardInputError, is_card_input, parse_card_input
from rewardshub.cards.queries import (
    input_error,
    match_number,
    retired_error,
    unknown_number_error,
)
from rewardshub.errors import ActionError
from rewardshub.patients import pms_hooks
from rewardshub.patients.contact_search import (
    is_email_input,
    phone_digits,
    search_by_email,
    search_by_phone,
)
from rewardshub.patients.location_tags import location_tag_name
from rewardshub.patients.models import Profile, ProfileTag, Tag, TagGroup, TagGroupKind
from rewardshub.practices.models import Location, Practice
from rewardshub.wording import a_or_an

# The audit action of a staff member opening a profile (every PHI read is audited).
PROFILE_VIEW = "profile.view"


def get_profile(practice: Practice, public_id: object) -> Profile:
    """The practice's profile with that public id, or 404 (also for other practices' profiles).

    A merged profile's pages act on the profile it was merged into (a page
    left open before the merge, a bookmark)."""
    profile = get_object_or_404(
        Profile.objects.select_related("location"), practice=practice, public_id=public_id
    )
    return survivor_of(profile)


def survivor_of(profile: Profile) -> Profile:
    """The profile itself, or for a merged profile the one it was merged into
    (merges keep that one step: patients.models.Profile.merged_into)."""
    if profile.merged_into_id is None:
        return profile
    return Profile.objects.select_related("location").get(pk=profile.merged_into_id)


def get_profile_for_page(practice: Practice, public_id: object) -> Profile:
    """`get_profile` with what the staff profile page also shows (location, portal
    account) in the same query."""
    return get_object_or_404(
        Profile.objects.select_related("location", "portal_account"),
        practice=practice,
        public_id=public_id,
    )


def get_tag(practice: Practice, public_id: object) -> Tag:
    return get_object_or_404(
        Tag.objects.select_related("group"), practice=practice, public_id=public_id
    )


def get_tag_group(practice: Practice, public_id: object) -> TagGroup:
    return get_object_or_404(TagGroup, practice=practice, public_id=public_id)


def profiles(practice: Practice) -> QuerySet[Profile]:
    """The practice's profiles, merged ones left out (their survivor stands for them)."""
    return Profile.objects.filter(practice=practice, merged_into__isnull=True)


def _name_contains(word: str) -> Q:
    """A name field contains the word, whatever the case.

    SQLite's LIKE folds the case of ASCII letters only ("émma" would not find
    "Émma"), so there a word with other letters is matched by a regular
    expression, which Django's SQLite backend runs with Python's re (case
    folding for every alphabet). ASCII words keep the LIKE, which is faster.
    PostgreSQL's ILIKE-style match folds every letter already.
    """
    if word.isascii() or connection.vendor != "sqlite":
        lookup, value = "icontains", word
    else:
        lookup, value = "iregex", re.escape(word)
    match = Q()
    for field in ("first_name", "last_name", "preferred_name"):
        match |= Q(**{f"{field}__{lookup}": value})
    return match


def search_by_name(practice: Practice, text: str) -> QuerySet[Profile]:
    words = text.split()
    found = profiles(practice)
    for word in words[:4]:
        found = found.filter(_name_contains(word))
    return found


def _has_exclusive_tag(kind: str) -> Exists:
    return Exists(ProfileTag.objects.filter(profile=OuterRef("pk"), exclusive_group__kind=kind))


def with_tag_flags(found: QuerySet[Profile]) -> QuerySet[Profile]:
    return found.annotate(
        has_status=_has_exclusive_tag(TagGroupKind.STATUS),
        has_location=_has_exclusive_tag(TagGroupKind.LOCATION),
    )


def missing_tags(practice: Practice) -> QuerySet[Profile]:
    """Profiles lacking a status tag or a location tag."""
    return with_tag_flags(profiles(practice)).filter(Q(has_status=False) | Q(has_location=False))


def missing_tag_kinds(board: list[TagGroupBoard]) -> list[str]:
    """Names of the exclusive groups ("Status", "Location") the profile has no tag in."""
    return [entry.group.name for entry in board if entry.exclusive and not entry.chosen]


# --- Staff pages: the patients list, the search box and the profile's parts ---


def with_list_data(found: QuerySet[Profile]) -> QuerySet[Profile]:
    """What a list row shows (tags, active card, location), in a fixed number of queries.

    Rows get `tag_links` (ProfileTags with tag and group) and `active_cards`
    (a list of at most one Card).
    """
    return found.select_related("location").prefetch_related(
        Prefetch(
            "profile_tags",
            queryset=ProfileTag.objects.select_related("tag__group").order_by(
                "tag__group__position", "tag__position", "tag__name"
            ),
            to_attr="tag_links",
        ),
        Prefetch(
            "cards", queryset=Card.objects.filter(state=CardState.ACTIVE), to_attr="active_cards"
        ),
    )


def with_tag(found: QuerySet[Profile], tag: Tag) -> QuerySet[Profile]:
    return found.filter(profile_tags__tag=tag)


def practice_tags(practice: Practice) -> list[Tag]:
    """Every tag of the practice, grouped by group order (for filters and pickers)."""
    return list(
        Tag.objects.filter(practice=practice)
        .select_related("group")
        .order_by("group__position", "group__name", "group_id", "position", "name")
    )


def exclusive_groups(practice: Practice) -> QuerySet[TagGroup]:
    """The practice's Status and Location groups."""
    return TagGroup.objects.filter(
        practice=practice, kind__in=[TagGroupKind.STATUS, TagGroupKind.LOCATION]
    )


def exclusive_group_tags(practice: Practice, kind: str) -> QuerySet[Tag]:
    return Tag.objects.filter(practice=practice, group__kind=kind).select_related("group")


def location_tag(practice: Practice, location: Location | None) -> Tag | None:
    """The location's system tag ("*Acworth"), if the practice has it."""
    if location is None:
        return None
    return (
        exclusive_group_tags(practice, TagGroupKind.LOCATION)
        .filter(name=location_tag_name(location.name))
        .first()
    )


def active_locations(practice: Practice) -> QuerySet[Location]:
    return Location.objects.filter(practice=practice, active=True)


@dataclass
class TagGroupBoard:
    """One tag group as the profile page shows it: its tags and which the profile has."""

    group: TagGroup
    tags: list[Tag]
    chosen: list[Tag]

    @property
    def exclusive(self) -> bool:
        return self.group.exclusive

    @property
    def current(self) -> Tag | None:
        return self.chosen[0] if self.chosen else None

    @property
    def add_label(self) -> str:
        """The label of the group's "add a tag" picker: "Add an Interests tag"."""
        name = self.group.name
        return f"Add {a_or_an(name)} {name} tag"

    @property
    def any_set_by_pms(self) -> bool:
        """Whether one of the profile's tags here is set by the PMS tag mapping."""
        return any(getattr(tag, "set_by_pms", False) for tag in self.chosen)

    @property
    def addable(self) -> list[Tag]:
        chosen = {tag.pk for tag in self.chosen}
        return [tag for tag in self.tags if tag.pk not in chosen]


_BOARD_GROUP_FIELDS = ("id", "public_id", "name", "kind", "is_system", "position")
_BOARD_TAG_FIELDS = ("id", "public_id", "name", "is_system", "position")


def _has_tag(profile: Profile) -> RawSQL:
    """Whether the profile has the joined tag: EXISTS over ProfileTag, correlated on
    the tag table, which the ORM aliases by its own name (its only join in the
    query). As SQL because the ORM's Exists(OuterRef) costs more to compile than
    the rest of the query."""
    qn = connection.ops.quote_name
    link, tag = ProfileTag._meta, Tag._meta
    sql = (
        f"EXISTS (SELECT 1 FROM {qn(link.db_table)}"  # noqa: S608 (model names; values are parameters)
        f" WHERE {qn(link.get_field('profile').column)} = %s"
        f" AND {qn(link.get_field('tag').column)} = {qn(tag.db_table)}.{qn(tag.pk.column)})"
    )
    return RawSQL(sql, [profile.pk], output_field=BooleanField())  # noqa: S611


def tag_board(profile: Profile) -> list[TagGroupBoard]:
    """The practice's tag groups with the profile's tags in each, in one query.

    Groups LEFT JOIN their tags, so a group with no tags yet still shows; each
    tag row says whether the profile has it (an EXISTS in the same query) and
    whether the PMS sets it (`set_by_pms`: another EXISTS, which integrations gives
    through pms_hooks).
    """
    rows = (
        TagGroup.objects.filter(practice_id=profile.practice_id)
        .order_by("position", "name", "id", "tags__position", "tags__name")
        .values_list(
            *_BOARD_GROUP_FIELDS,
            *(f"tags__{name}" for name in _BOARD_TAG_FIELDS),
            _has_tag(profile),
            pms_hooks.hooks.set_by_pms(profile),
        )
    )
    board: list[TagGroupBoard] = []
    width = len(_BOARD_GROUP_FIELDS)
    for row in rows:
        if not board or board[-1].group.pk != row[0]:
            group = TagGroup(
                practice_id=profile.practice_id,
                **dict(zip(_BOARD_GROUP_FIELDS, row[:width], strict=True)),
            )
            board.append(TagGroupBoard(group, [], []))
        entry = board[-1]
        tag_values = row[width:-2]
        if tag_values[0] is None:  # a group with no tags
            continue
        tag = Tag(
            practice_id=profile.practice_id, **dict(zip(_BOARD_TAG_FIELDS, tag_values, strict=True))
        )
        tag.group = entry.group
        tag.set_by_pms = bool(row[-1])  # type: ignore[attr-defined]
        entry.tags.append(tag)
        if row[-2]:
            entry.chosen.append(tag)
    return board


# --- The "Search patients" box: a name, a phone number, an email, a username, a
# typed card number or a swipe ---

NAME_RESULTS_LIMIT = 50


@dataclass(frozen=True)
class SearchOutcome:
    """What the search box found.

    `profile`: open it. `error`: say it (with `card.profile` to link to, when a
    retired card still names its patient). `unconnected`: a card of this
    practice nobody has yet. `names`: the matches of a name, phone number or
    email, which `looked_for` names. `note`: said on the way to `profile` (a
    typed username that is also a retired card's number).
    """

    profile: Profile | None = None
    error: ActionError | None = None
    card: Card | None = None
    unconnected: bool = False
    number: str = ""
    names: QuerySet[Profile] | None = None
    note: str = ""
    looked_for: str = "name"


def search(practice: Practice, text: str) -> SearchOutcome:
    text = text.strip()
    if is_email_input(text):
        return SearchOutcome(names=search_by_email(practice, text), looked_for="email")
    digits = phone_digits(text)
    if digits:
        return SearchOutcome(names=search_by_phone(practice, digits), looked_for="phone")
    if not is_card_input(text):
        return SearchOutcome(names=search_by_name(practice, text))
    try:
        parsed = parse_card_input(text)
    except CardInputError as exc:
        return SearchOutcome(error=input_error(exc))
    number = parsed.number
    match = match_number(practice, number)
    card = match.card
    retired = card is not None and card.state == CardState.RETIRED
    # A swipe means this very card, which is retired; a typed number may be the
    # username printed on the patient's first card, which stays theirs for life.
    if retired and (parsed.swiped or match.profile is None):
        assert card is not None
        return SearchOutcome(error=retired_error(card), card=card, number=number)
    if match.profile is not None:
        whose = (
            "That number is this patient's username, and also the number of their first card. "
            if match.profile.username == number
            # A merged profile's username leads to the profile it was merged into.
            else "That number is the username of a profile merged into this one, and also "
            "the number of its first card. "
        )
        note = whose + retired_error(card).message if retired and card is not None else ""
        return SearchOutcome(profile=match.profile, card=card, number=number, note=note)
    if card is not None and card.state == CardState.AVAILABLE:
        return SearchOutcome(card=card, unconnected=True, number=number)
    return SearchOutcome(error=unknown_number_error(number), number=number)


def profile_parts(profile: Profile) -> dict[str, object]:
    """The context of the profile partials (_profile_header, _card_button, _tags).

    Shared by the profile page and the PMS chart tab, which add `return_to`.
    """
    # One query for the active and the retired cards, and the tag warnings
    # read off the tag board the page shows anyway.
    # Also the card a PMS set as the username that nobody connected yet (set_card_of).
    cards = list(
        Card.objects.filter(
            Q(profile=profile, state__in=[CardState.ACTIVE, CardState.RETIRED])
            | Q(practice_id=profile.practice_id, number=profile.username, state=CardState.AVAILABLE)
        ).order_by("-retired_at", "-id")
    )
    board = tag_board(profile)
    active = next((c for c in cards if c.state == CardState.ACTIVE), None)
    return {
        "profile": profile,
        "active_card": active,
        "set_card": next((c for c in cards if c.state == CardState.AVAILABLE), None)
        if active is None
        else None,
        "retired_cards": [c for c in cards if c.state == CardState.RETIRED],
        "tag_groups": board,
        "missing_tag_kinds": missing_tag_kinds(board),
    }
