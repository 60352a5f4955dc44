from bot.services.lyrics import LyricsRequest
from bot.services.ratings import Withdrawal

THREE, FIVE = "3\ufe0f\u20e3", "5\ufe0f\u20e3"


async def test_reactions_rate_replace_and_withdraw(services, write) -> None:
    answer = await write(services, LyricsRequest(seed="stars", lines=1))
    await services.lyrics.attach_message(answer, 777)
    ratings = services.ratings
    assert await ratings.reaction_added(777, 42, THREE) == 3
    assert await services.db.ratings_for(answer.generation_id) == {42: 3}
    assert await ratings.reaction_added(777, 42, FIVE) == 5
    assert await services.db.ratings_for(answer.generation_id) == {42: 5}
    assert await ratings.reaction_removed(777, 42, THREE) == Withdrawal(removed=3, now=5)
    assert await services.db.ratings_for(answer.generation_id) == {42: 5}
    assert await ratings.reaction_removed(777, 42, FIVE) == Withdrawal(removed=5, now=None)
    assert await services.db.ratings_for(answer.generation_id) == {}


async def test_taking_off_the_latest_reaction_falls_back_to_the_one_left(services, write) -> None:
    answer = await write(services, LyricsRequest(seed="stars", lines=1))
    await services.lyrics.attach_message(answer, 778)
    ratings = services.ratings
    await ratings.reaction_added(778, 42, THREE)
    await ratings.reaction_added(778, 42, FIVE)
    await ratings.reaction_added(778, 7, FIVE)
    assert await ratings.reaction_removed(778, 42, FIVE) == Withdrawal(removed=5, now=3)
    assert await services.db.ratings_for(answer.generation_id) == {7: 5, 42: 3}
    assert await ratings.reaction_removed(778, 42, "🔥") is None


async def test_other_emojis_and_other_messages_are_ignored(services, write) -> None:
    assert await services.ratings.reaction_added(12345, 1, FIVE) is None
    answer = await write(services, LyricsRequest(seed="x", lines=1))
    await services.lyrics.attach_message(answer, 888)
    assert await services.ratings.reaction_added(888, 1, "🔥") is None
    assert await services.ratings.reaction_removed(12345, 1, FIVE) is None
    assert await services.db.ratings_for(answer.generation_id) == {}
