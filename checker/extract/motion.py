"""An examination's range of motion against normal (motion_norms of checker/cues/facts.yaml): a
joint's movement in degrees below the stated fraction of normal is a deficit."""

from __future__ import annotations

import re

from checker.extract.model import Run, SentenceInfo
from checker.extract.shared import SharedCues


class MotionNorms:
    def __init__(self, shared: SharedCues, raw: dict) -> None:
        self.shared = shared
        self.fraction = float(raw.get("fraction", 0.9))
        joints = raw.get("joints") or {}
        self.norms = {str(j): {str(m): float(d) for m, d in spec["normal"].items()} for j, spec in joints.items()}
        self.joint_words = {str(j): shared.cue_regex(spec["words"], f"motion_norms.joints.{j}.words") for j, spec in joints.items()}
        self.movement_words = {str(m): shared.cue_regex(rx, f"motion_norms.movements.{m}") for m, rx in (raw.get("movements") or {}).items()}

    def below_norm(self, match: re.Match[str], movement_group: str, degrees_group: str, before: str | None = None) -> bool | None:
        """A joint's motion in degrees against its normal range: below the stated fraction of normal
        is a deficit, at or above it is none; an unknown joint or movement says nothing. The joint is
        the one the match names, else the first the sentence names, else the one an examination's
        earlier lines named (`before`: "Lumbar spine:" above "ROM: flexion 40")."""
        named = match.groupdict().get("joint") or ""
        joint = self._joint(named) or self._joint(match.string) or before
        norms = self.norms.get(joint or "", {})
        movement = self._movement(match.group(movement_group))
        degrees = self.shared.number_in(match.group(degrees_group))
        if movement not in norms or not degrees:  # 0 degrees is where a range is measured from, not a range
            return None
        return degrees < self.fraction * norms[movement]

    def joint_before(self, run: Run, info: SentenceInfo | None, lines: int = 3) -> str | None:
        """The joint named last in the few sentences before this one (an examination lists a joint's
        movements on the lines under its name); failing that, the one joint the requests name (an
        examination of the shoulder a shoulder request is for need not name it again)."""
        if info is None:
            return None
        at = info.sentence.index
        for earlier in reversed(run.sentences[max(0, at - lines) : at]):
            found = [(m.start(), joint) for joint, rx in self.joint_words.items() for m in rx.finditer(earlier.sentence.text)]
            if found:
                return max(found)[1]
        return self._requested_joint(run)

    def _requested_joint(self, run: Run) -> str | None:
        joints = {part for request in run.requests for part in request.parts if part in self.norms}
        return joints.pop() if len(joints) == 1 else None

    def _joint(self, text: str) -> str | None:
        found = [(m.start(), joint) for joint, rx in self.joint_words.items() if (m := rx.search(text))]
        return min(found)[1] if found else None

    def _movement(self, written: str) -> str:
        words = " ".join(written.lower().replace("-", " ").split())
        return next((name for name, rx in self.movement_words.items() if rx.fullmatch(words)), words)
