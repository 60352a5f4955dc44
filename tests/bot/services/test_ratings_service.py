from bot.services.lyrics import LyricsRequest

THREE, FIVE = "3\ufe0f\u20e3", "5\ufe0f\u20e3"


async def test_reactions_rate_replace_and_withdraw(services, write) -> None:
    answer = await write(services, LyricsRequest(seed="stars", lines=1))
    await services.lyrics.attach_message(answer, 777)
    ratings = services.ratings
    assert await ratings.reaction_added(777, 42, THREE) == 3
    assert await services.db.ratings_for(answer.generation_id) == {42: 3}
    assert await ratings.reaction_added(777, 42, FIVE) == 5
    assert await services.db.ratings_for(answer.generation_id) == {42: 5}
    assert not await ratings.reaction_removed(777, 42, THREE)  # 5 stays
    assert await services.db.ratings_for(answer.generation_id) == {42: 5}
    assert await ratings.reaction_removed(777, 42, FIVE)
    assert await services.db.ratings_for(answer.generation_id) == {}


async def test_other_emojis_and_other_messages_are_ignored(services, write) -> None:
    assert await services.ratings.reaction_added(12345, 1, FIVE) is None
    answer = await write(services, LyricsRequest(seed="x", lines=1))
    await services.lyrics.attach_message(answer, 888)
    assert await services.ratings.reaction_added(888, 1, "🔥") is None
    assert await services.db.ratings_for(answer.generation_id) == {}
