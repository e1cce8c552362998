"""What both ends of the wire share: requests that may nest, objects lent by reference, arrays kept in step.

Either side may ask the other to do something while it is itself answering (the judge
calls a learner's `Module.__call__`, which calls a `forward` the test defined, which
calls the learner's `Linear` again); `request` serves the other side's requests until
its own answer arrives.

An object that is not plain data stays where it was made and is lent by reference: the
owner keeps it alive, counting how often it lent it, until the borrower says it has let
go that many times (`rel`).

Arrays cross by value. The judge's arrays are its own: the worker gets copies, and what
learner code does to them stays in the worker, so nothing the judge computes with can be
changed by a submission. The worker's arrays (a Tensor's data, a weight) cross as copies
that remember their original: sending one back names the original, and before every
message each side sends what changed (`upd`): the judge what the tests wrote into their
copies (`layer.weight.data[0] = 1`), the worker what learner code changed in arrays the
judge holds copies of, so both see one array, as in one process. A list held by a worker
object (`model.history`) is copied the same way: read as an attribute, the copy
remembers its original, and what the judge changes in it (`append`, `clear`, an item
set) is sent before the next message (`lupd`) and made to the original; reading it
again refreshes the copy.
"""
from __future__ import annotations

import contextlib
import weakref

import numpy as np

from tito.grading.wire import MAX_MESSAGE, Decoder, Encoder, Reader, WireError, given_key, receive, send

TRACK_BYTES = 16 << 20   # arrays larger than this are copied without being kept in step


class Peer:
    limit = MAX_MESSAGE   # the largest message accepted, in bytes
    lends_arrays = False  # the worker: its arrays cross with a name, and the judge's changes to them come back
    blind: set | None = None   # the judge of tito grade's blind run: what it sent (see wire.Decoder)

    def __init__(self, rfd: int, wfd: int):
        self.rfd, self.wfd = rfd, wfd
        self.reader: Reader | None = None
        self.seq = 0
        self.lent: dict[int, list] = {}          # my id -> [object, times lent]
        self.releases: list[list[int]] = []      # [their id, times received] to send
        self.copies: dict[int, tuple] = {}       # their array id -> (weakref to my copy, snapshot)
        self.copy_of: dict[int, int] = {}        # id(my copy) -> their array id
        self.received: dict[int, int] = {}       # their id -> times received, for objects I hold
        self.lent_arrays: dict[int, np.ndarray] = {}   # (worker) my id -> snapshot of an array they hold a copy of
        self.lists: dict[int, tuple] = {}        # their list id -> (my copy, its items as last sent or seen)

    # -- lending ------------------------------------------------------------------------
    def lend(self, obj) -> int:
        key = id(obj)
        entry = self.lent.get(key)
        if entry is None or entry[0] is not obj:
            self.lent[key] = [obj, 1]
        else:
            entry[1] += 1
        return key

    def lent_object(self, key):
        entry = self.lent.get(key) if type(key) is int else None
        if entry is None:
            raise WireError("unknown object reference")
        return entry[0]

    def _released(self, pairs) -> None:
        if type(pairs) is not list:
            raise WireError("bad release list")
        for pair in pairs:
            if type(pair) is not list or len(pair) != 2:
                raise WireError("bad release")
            entry = self.lent.get(pair[0])
            if entry is not None:
                entry[1] -= pair[1] if type(pair[1]) is int else 0
                if entry[1] <= 0:
                    del self.lent[pair[0]]
                    self.lent_arrays.pop(pair[0], None)

    def let_go(self, their_id: int) -> None:
        """My last proxy or copy of their object `their_id` is gone."""
        count = self.received.pop(their_id, 0)
        if count:
            self.releases.append([their_id, count])

    # -- arrays ------------------------------------------------------------------------
    def array_id(self, array) -> dict:
        """How an array I send is named: as their original, or as mine."""
        theirs = self.copy_of.get(id(array))
        if theirs is not None and theirs in self.copies and self.copies[theirs][0]() is array:
            return {"back": theirs}
        if not self.lends_arrays or array.nbytes > TRACK_BYTES or type(array) is not np.ndarray:
            return {}
        key = self.lend(array)
        self.lent_arrays[key] = array.copy()
        return {"id": key}

    def array(self, copy: np.ndarray, tag: dict):
        back = tag.get("back")
        if back is not None:   # one of my own arrays, coming home: what changed came before (`upd`)
            original = self.lent_object(back) if self.lends_arrays else None
            if not isinstance(original, np.ndarray):
                raise WireError("not an array reference")
            return original
        theirs = tag.get("id")
        if theirs is None:
            return copy
        if type(theirs) is not int:
            raise WireError("bad array id")
        self.received[theirs] = self.received.get(theirs, 0) + 1
        known = self.copies.get(theirs)
        mine = known[0]() if known else None
        if mine is not None and mine.shape == copy.shape and mine.dtype == copy.dtype:
            if mine.flags.writeable:
                np.copyto(mine, copy)
            self.copies[theirs] = (known[0], copy)
            return mine
        self.copies[theirs] = (weakref.ref(copy), copy.copy())
        self.copy_of[id(copy)] = theirs
        weakref.finalize(copy, self._copy_gone, theirs, id(copy))
        return copy

    def _copy_gone(self, theirs: int, address: int) -> None:
        if self.copy_of.get(address) == theirs:
            del self.copy_of[address]
        known = self.copies.get(theirs)
        if known is None or known[0]() is None:
            self.copies.pop(theirs, None)
            self.let_go(theirs)

    def _changes(self, encoder: Encoder) -> list:
        """The copies I hold whose values changed since they arrived or were last sent."""
        changed = []
        for theirs, (ref, snapshot) in list(self.copies.items()):
            mine = ref()
            if mine is None or mine.shape != snapshot.shape or mine.dtype != snapshot.dtype:
                continue
            if not _same_bytes(mine, snapshot):
                base = mine.view(np.ndarray).copy()
                self.copies[theirs] = (ref, base.copy())
                if self.blind is not None:   # what the tests wrote is theirs: it may come back as it went
                    self.blind.add(given_key(base))
                changed.append([theirs, encoder.array(np.ascontiguousarray(base))])
        for key, snapshot in list(self.lent_arrays.items()):   # my arrays they hold copies of
            entry = self.lent.get(key)
            mine = entry[0] if entry is not None else None
            if type(mine) is not np.ndarray or mine.shape != snapshot.shape or mine.dtype != snapshot.dtype:
                self.lent_arrays.pop(key, None)
                continue
            if not _same_bytes(mine, snapshot):
                base = mine.copy()
                self.lent_arrays[key] = base.copy()
                changed.append([key, dict(encoder.array(np.ascontiguousarray(base)), own=1)])
        return changed

    def _list_changes(self, encoder: Encoder) -> list:
        """The copies of their lists I hold whose items changed (an append, a clear, an item set)."""
        changed = []
        for theirs, (mine, seen) in self.lists.items():
            if len(mine) != len(seen) or any(a is not b for a, b in zip(mine, seen)):
                self.lists[theirs] = (mine, list(mine))
                changed.append([theirs, encoder.value(list(mine))])
        return changed

    def _apply_list_changes(self, changes, buffers) -> None:
        if type(changes) is not list:
            raise WireError("bad list update")
        decoder = self.decoder(buffers)
        for item in changes:
            if type(item) is not list or len(item) != 2 or type(item[0]) is not int:
                raise WireError("bad list update")
            entry = self.lent.get(item[0])
            items = decoder.value(item[1])
            if entry is not None and type(entry[0]) is list and type(items) is list:
                entry[0][:] = items

    def _apply_changes(self, changes, buffers) -> None:
        if type(changes) is not list:
            raise WireError("bad update list")
        decoder = Decoder(buffers, self.decode_object, blind=self.blind)
        for item in changes:
            if type(item) is not list or len(item) != 2 or type(item[1]) is not dict or "a" not in item[1]:
                raise WireError("bad update")
            if item[1].get("own"):   # their array changed: so does my copy of it
                known = self.copies.get(item[0]) if type(item[0]) is int else None
                mine = known[0]() if known else None
                if mine is not None:
                    new = decoder.value(item[1])
                    _update(mine, new)
                    self.copies[item[0]] = (known[0], mine.view(np.ndarray).copy())
                continue
            if not self.lends_arrays:
                raise WireError("the tests' arrays are the judge's own: a change to one cannot come back")
            original = self.lent.get(item[0]) if type(item[0]) is int else None
            if original is not None and isinstance(original[0], np.ndarray):
                _update(original[0], decoder.value(item[1]))
                if item[0] in self.lent_arrays:
                    self.lent_arrays[item[0]] = original[0].copy()

    # -- messages ------------------------------------------------------------------------
    def encoder(self) -> Encoder:
        return Encoder(self.encode_object, self.array_id, self.blind)

    def decoder(self, buffers) -> Decoder:
        return Decoder(buffers, self.decode_object, self.array, self.blind)

    def message(self, header: dict, encoder: Encoder) -> None:
        changes = self._changes(encoder)
        if changes:
            header["upd"] = changes
        changes = self._list_changes(encoder) if self.lists else None
        if changes:
            header["lupd"] = changes
        if self.releases:
            header["rel"], self.releases = self.releases, []
        send(self.wfd, header, encoder.buffers)

    def take(self) -> tuple[dict, list]:
        if self.reader is None or self.reader.fd != self.rfd:
            self.reader = Reader(self.rfd)
        header, buffers = receive(self.reader, self.limit)
        if "rel" in header:
            self._released(header["rel"])
        if "upd" in header:
            self._apply_changes(header["upd"], buffers)
        if "lupd" in header:
            self._apply_list_changes(header["lupd"], buffers)
        return header, buffers

    def request(self, op: str, payload):
        """Ask the other side to do `op`; serve its requests until the answer arrives."""
        self.seq += 1
        seq = self.seq
        encoder = self.encoder()
        header = {"q": seq, "op": op, "v": encoder.value(payload)}
        self.before_request(header)
        self.message(header, encoder)
        while True:
            header, buffers = self.take()
            if "q" in header:
                self.serve(header, buffers)
                continue
            if header.get("r") != seq:
                raise WireError("an answer to a question not asked")
            return self.answer(header, buffers)

    # -- what each side defines ------------------------------------------------------------
    def before_request(self, header: dict) -> None:
        pass

    def encode_object(self, obj, encoder=None) -> dict:
        raise NotImplementedError

    def decode_object(self, tag: dict, decoder=None):
        raise NotImplementedError

    def serve(self, header: dict, buffers: list) -> None:
        raise NotImplementedError

    def answer(self, header: dict, buffers: list):
        raise NotImplementedError


def _same_bytes(a: np.ndarray, b: np.ndarray) -> bool:
    if a.size == 0:
        return True
    a = a.reshape(-1) if a.flags.c_contiguous else np.ascontiguousarray(a).reshape(-1)
    return bool(np.array_equal(a.view(np.uint8), b.reshape(-1).view(np.uint8)))


def _update(original: np.ndarray, new: np.ndarray) -> None:
    if original.shape == new.shape and original.flags.writeable:
        with contextlib.suppress(TypeError, ValueError):
            np.copyto(original, new, casting="unsafe")
