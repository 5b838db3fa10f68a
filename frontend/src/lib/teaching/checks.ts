// The checks written under each formula of the formula panel: what torch computed, what the
// math gives, and whether they agree, as sentences for the i18n layer (no DOM, no language).
import type { MessageKey } from "../../i18n/en";
import { SHOWN_DECIMALS } from "../util/tensor";
import type { ChainFormula, LossFormula, OutputGradFormula } from "./formulas";
import { exactNote, tenNote } from "./texnum";
import type { Rounding } from "./texnum";
import type { UpdateFormula } from "./update";

/** A sentence: a message key, filled with values and with other sentences. */
export interface Sentence {
  key: MessageKey;
  params?: Record<string, string | number | Sentence>;
}

export interface Check {
  /** Said one after the other, a space between. */
  sentences: Sentence[];
  /** true: torch and the math agree (shown as such), false: they do not, null: a note. */
  ok: boolean | null;
}

const note = (key: MessageKey, params?: Sentence["params"]): Check => ({
  sentences: [{ key, params }],
  ok: null,
});

const ROUNDING: Record<Rounding, MessageKey> = {
  decimals: "teach.math.roundDecimals",
  significant: "teach.math.roundSignificant",
  mixed: "teach.math.roundMixed",
};

/** The loss: torch's float32 value and the exact mean, then how far apart they are. */
export function lossChecks(loss: LossFormula): Check[] {
  const same = loss.ulps === 0;
  return [
    note("teach.math.lossCheck", { torch: exactNote(loss.torch), exact: tenNote(loss.exact) }),
    {
      sentences: [
        same
          ? { key: "teach.math.lossSame" }
          : { key: "teach.math.lossDiffers", params: { ulps: loss.ulps } },
      ],
      ok: same ? true : null,
    },
  ];
}

/** ∂loss/∂ŷ: every shown element redone in torch's float32 steps, or within a few ulps. */
export function gradChecks(grad: OutputGradFormula): Check[] {
  if (!grad.emulated) {
    return [
      {
        sentences: [{ key: "teach.math.gradApprox", params: { ulps: grad.maxUlps } }],
        ok: grad.maxUlps <= 2,
      },
    ];
  }
  const n = grad.rows.length;
  const same = grad.rows.filter((r) => r.ulps === 0).length;
  return [
    {
      sentences: [
        same === n
          ? { key: "teach.math.gradEmulated", params: { same, n } }
          : { key: "teach.math.gradEmulatedDiffers", params: { same, n, ulps: grad.maxUlps } },
      ],
      ok: same === n,
    },
  ];
}

/** The chain rule into one parameter; `accumulated` is its .grad when zero_grad() was
 * skipped (what backward() added to), else null. */
export function chainChecks(part: ChainFormula, accumulated: string | null): Check[] {
  const same = part.ulps === 0;
  const checks: Check[] = [
    {
      sentences: [
        {
          key: "teach.math.chainCheck",
          params: { exact: tenNote(part.exact), torch: exactNote(part.torch) },
        },
        same
          ? { key: "teach.math.chainSame" }
          : { key: "teach.math.chainDiffers", params: { ulps: part.ulps } },
      ],
      ok: same ? true : null,
    },
  ];
  if (accumulated !== null) checks.push(note("teach.math.accumulated", { grad: accumulated }));
  return checks;
}

/** optimizer.step() for one element: torch, the server's replay, exact and decimal
 * arithmetic, why they differ, and the optimizer state it starts from and leaves. */
export function updateChecks(u: UpdateFormula): Check[] {
  const checks: Check[] = [note("teach.math.torch", { value: exactNote(u.torch) })];
  if (u.sameBits === null) {
    checks.push(note("teach.math.replayNone"));
  } else if (u.replayed !== null) {
    checks.push({
      sentences: [
        {
          key: u.sameBits ? "teach.math.replaySame" : "teach.math.replayDiffers",
          params: { value: exactNote(u.replayed) },
        },
      ],
      ok: u.sameBits,
    });
  }
  checks.push(note("teach.math.exact", { value: tenNote(u.exact) }));
  checks.push(note("teach.math.decimal", { value: u.decimalShown }));
  if (Math.fround(u.decimal) !== u.torch && u.shownRounding) {
    const rounding = { key: ROUNDING[u.shownRounding], params: { digits: SHOWN_DECIMALS } };
    checks.push(note("teach.math.whyShown", { rounding }));
  }
  checks.push(
    note(Math.fround(u.exact) === u.torch ? "teach.math.whySame" : "teach.math.whyFloat32"),
  );
  if (u.state.length) {
    checks.push(note(u.first ? "teach.math.priorInitial" : "teach.math.priorState"));
  }
  for (const item of u.state) {
    checks.push(note("teach.math.stateAfter", { key: item.key, value: exactNote(item.value) }));
  }
  return checks;
}
