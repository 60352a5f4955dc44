"""Ratings as reactions produce them: set, change, remove, and out-of-range scores."""

from __future__ import annotations

import pytest

from bot.storage import Database, InvalidRatingError, UnknownGenerationError
from bot.storage.backend import ConstraintError

ALICE, BOB = 1_000_000_000_000_000_001, 1_000_000_000_000_000_002


@pytest.fixture
async def generation_id(db: Database, make_generation) -> int:
    return await db.record_generation(make_generation())


async def test_rating_is_set_and_replaced(db: Database, generation_id: int) -> None:
    assert await db.ratings_for(generation_id) == {}
    await db.set_rating(generation_id, ALICE, 3)
    await db.set_rating(generation_id, BOB, 5)
    assert await db.ratings_for(generation_id) == {ALICE: 3, BOB: 5}

    await db.set_rating(generation_id, ALICE, 1)  # a later rating replaces the earlier one
    assert await db.ratings_for(generation_id) == {ALICE: 1, BOB: 5}


async def test_reactions_taken_off_fall_back_to_the_latest_left(
    db: Database, generation_id: int
) -> None:
    for score in (2, 4, 3):  # ALICE reacts 2, then 4, then 3: her rating is 3
        await db.add_reaction_rating(generation_id, ALICE, score)
    await db.add_reaction_rating(generation_id, BOB, 5)
    assert await db.ratings_for(generation_id) == {ALICE: 3, BOB: 5}

    assert await db.remove_reaction_rating(generation_id, ALICE, 4) == 3  # not her current one
    assert await db.remove_reaction_rating(generation_id, ALICE, 3) == 2  # back to the 2
    await db.add_reaction_rating(generation_id, ALICE, 3)  # given again, it is the latest
    await db.add_reaction_rating(generation_id, ALICE, 2)
    await db.add_reaction_rating(generation_id, ALICE, 3)
    assert await db.remove_reaction_rating(generation_id, ALICE, 3) == 2
    assert await db.remove_reaction_rating(generation_id, ALICE, 2) is None  # none left
    assert await db.ratings_for(generation_id) == {BOB: 5}
    assert await db.remove_reaction_rating(generation_id, ALICE, 2) is None  # harmless again


async def test_a_rating_given_otherwise_outlives_taking_off_an_older_reaction(
    db: Database, generation_id: int
) -> None:
    await db.add_reaction_rating(generation_id, ALICE, 2)
    await db.set_rating(generation_id, ALICE, 4)  # e.g. from the console
    assert await db.remove_reaction_rating(generation_id, ALICE, 2) == 4


async def test_a_reaction_on_an_unknown_generation_is_refused_whole(db: Database) -> None:
    with pytest.raises(UnknownGenerationError):
        await db.add_reaction_rating(31337, ALICE, 4)
    with pytest.raises(InvalidRatingError):
        await db.add_reaction_rating(31337, ALICE, 6)


@pytest.mark.parametrize("score", [0, 6, -1, 2.5, "4", True, None])
async def test_score_outside_one_to_five_is_rejected(
    db: Database, generation_id: int, score: object
) -> None:
    with pytest.raises(InvalidRatingError, match="1 to 5"):
        await db.set_rating(generation_id, ALICE, score)  # type: ignore[arg-type]
    assert await db.ratings_for(generation_id) == {}


# 4.5 is not among them: asyncpg turns it into an integer before PostgreSQL sees it, so only
# SQLite's schema can refuse it (below); the API refuses it on both (see above).
@pytest.mark.parametrize("score", [0, 6, "4.5", "high"])
async def test_schema_rejects_bad_scores_written_around_the_api(
    db: Database, write_around_api, schema_refusal, generation_id: int, score: object
) -> None:
    with pytest.raises(schema_refusal):
        await write_around_api(
            "INSERT INTO ratings (generation_id, user_id, score, rated_at) VALUES (?, ?, ?, '')",
            (generation_id, ALICE, score),
        )


async def test_sqlite_schema_rejects_a_fractional_score(sqlite_db: Database) -> None:
    with pytest.raises(ConstraintError, match="check"):
        await sqlite_db.backend.execute(
            "INSERT INTO ratings (generation_id, user_id, score, rated_at) VALUES (1, 2, 4.5, '')"
        )


def test_invalid_rating_error_is_also_a_value_error() -> None:
    assert issubclass(InvalidRatingError, ValueError)


async def test_rating_an_unknown_generation_is_refused(db: Database) -> None:
    with pytest.raises(UnknownGenerationError, match="no generation with id 31337"):
        await db.set_rating(31337, ALICE, 4)
