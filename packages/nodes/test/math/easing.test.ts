import { describe, expect, it } from "vitest";
import { ease, EASING_CURVES, EASING_MODES, stepParamEasing } from "../../src/math/easing.js";

describe("easing curves", () => {
  it("offers every mode of InvokeAI's step_param_easing", () => {
    expect(EASING_MODES).toHaveLength(31);
    expect(Object.keys(EASING_CURVES).sort()).toEqual([...EASING_MODES].sort());
  });

  it("every curve starts at 0 and ends at 1", () => {
    for (const mode of EASING_MODES) {
      expect(EASING_CURVES[mode](0), `${mode}(0)`).toBeCloseTo(0, 12);
      expect(EASING_CURVES[mode](1), `${mode}(1)`).toBeCloseTo(1, 12);
    }
  });

  it("has the Penner values at t = 0.5 and a few other points (derived by hand)", () => {
    expect(EASING_CURVES.QuadIn(0.5)).toBe(0.25);
    expect(EASING_CURVES.QuadOut(0.5)).toBe(0.75);
    expect(EASING_CURVES.CubicIn(0.5)).toBe(0.125);
    expect(EASING_CURVES.CubicInOut(0.25)).toBe(0.0625); // 4 t^3
    expect(EASING_CURVES.QuarticOut(0.5)).toBe(0.9375); // (t-1)^3 (1-t) + 1 = 1 - 1/16
    expect(EASING_CURVES.QuinticInOut(0.75)).toBe(0.984375); // 0.5 (2t-2)^5 + 1 = 1 - 0.5/32
    expect(EASING_CURVES.SineInOut(0.5)).toBeCloseTo(0.5, 15);
    expect(EASING_CURVES.CircularIn(0.6)).toBeCloseTo(0.2, 15); // 1 - sqrt(1 - 0.36)
    expect(EASING_CURVES.ExponentialIn(0.5)).toBe(2 ** -5);
    expect(EASING_CURVES.BounceOut(0.2)).toBeCloseTo((121 * 0.04) / 16, 15);
    expect(EASING_CURVES.BackIn(0.5)).toBeCloseTo(0.125 - 0.5, 15); // t^3 - t sin(t π)
    expect(EASING_CURVES.ElasticOut(0.5)).toBeCloseTo(Math.sin(((-13 * Math.PI) / 2) * 1.5) * 2 ** -5 + 1, 15);
  });

  it("ease() maps the curve onto [start, end] over a duration", () => {
    expect(ease("Linear", 10, 20, 4, 1)).toBe(12.5);
    expect(ease("QuadIn", 0, 8, 2, 1)).toBe(2);
    expect(ease("Linear", 3, 9, 0, 0)).toBe(3);
  });
});

describe("stepParamEasing", () => {
  const base = {
    easing: "Linear" as const,
    num_steps: 5,
    start_value: 0,
    end_value: 1,
    start_step_percent: 0,
    end_step_percent: 1,
    pre_start_value: null,
    post_end_value: null,
    mirror: false,
  };

  it("eases across all steps", () => {
    expect(stepParamEasing(base)).toEqual([0, 0.25, 0.5, 0.75, 1]);
  });

  it("holds pre/post values outside the eased window", () => {
    const v = stepParamEasing({
      ...base,
      num_steps: 10,
      start_step_percent: 0.2,
      end_step_percent: 0.5,
      pre_start_value: -1,
      post_end_value: 9,
    });
    // start = round(10 * 0.2) = 2, end = round(9 * 0.5) = round(4.5) = 4 (half to even)
    expect(v).toEqual([-1, -1, 0, 0.5, 1, 9, 9, 9, 9, 9]);
  });

  it("mirrors the curve", () => {
    expect(stepParamEasing({ ...base, mirror: true })).toEqual([0, 0.5, 1, 0.5, 0]);
    expect(stepParamEasing({ ...base, num_steps: 4, mirror: true })).toEqual([0, 1, 1, 0]);
  });

  it("handles one and zero steps", () => {
    expect(stepParamEasing({ ...base, num_steps: 1 })).toEqual([0]);
    expect(stepParamEasing({ ...base, num_steps: 0 })).toEqual([]);
  });
});
