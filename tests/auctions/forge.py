"""What someone with write access to the database but without the signing key can do to a ledger:
rewrite rows and recompute every SHA-256 hash (no key needed), keeping the stored signatures."""

from seei.auctions import ledger, rules


def rechain(room, entries: list[dict], key=None) -> None:
    """Store ``entries`` (genesis first) as the room's chain, hashes and close entry recomputed, each
    row keeping the signature it had (a forger without the key), or signed again with ``key`` (the
    operator, who holds it); rows past the end are deleted."""
    from seei.auctions.models import LedgerEntry, Room

    params = rules.LotParams.from_dict(room.params)
    state = rules.State.initial(params)
    chain = [entries[0]]
    for entry in entries[1:]:
        at = rules.parse_time(entry["at"])
        if entry["type"] == "close":
            chain.append(ledger.Chain.close(chain[-1], state, at))
        else:
            chain.append(ledger.Chain.append(chain[-1], entry["type"], at, entry["data"]))
        state = rules.apply_event(params, state, chain[-1])
    rows = {row.seq: row for row in LedgerEntry.objects.filter(room=room)}
    for entry in chain:
        row = rows.pop(entry["seq"])
        row.type, row.at, row.data = entry["type"], rules.parse_time(entry["at"]), entry["data"]
        row.prev_hash, row.hash = entry["prev_hash"], entry["hash"]
        if key is not None:
            row.signature = ledger.sign_entry(key, entry)
        row.save()
    LedgerEntry.objects.filter(pk__in=[row.pk for row in rows.values()]).delete()
    Room.objects.filter(pk=room.pk).update(seq=chain[-1]["seq"], last_hash=chain[-1]["hash"])


def delete_winning_bid(room, key=None) -> str:
    """The finding: the winning bid deleted, the chain and close entry recomputed (and signed again
    with ``key``, if given). The new winner."""
    from seei.auctions.models import BidAttempt, LedgerEntry

    entries = [row.as_entry() for row in LedgerEntry.objects.filter(room=room).order_by("seq")]
    winner = entries[-1]["data"]["winner"]
    kept = [e for e in entries if not (e["type"] == "bid" and e["data"]["bidder"] == winner)]
    BidAttempt.objects.filter(room=room).update(entry=None)  # the audit's links, to renumber freely
    rechain(room, kept, key)
    return LedgerEntry.objects.filter(room=room).order_by("-seq").first().data["winner"]
