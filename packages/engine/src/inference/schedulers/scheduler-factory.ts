/**
 * Builds schedulers by InvokeAI name (its `SCHEDULER_MAP`: class + config overrides) or by diffusers class name,
 * from a model's scheduler_config.json the way diffusers' `from_config` does.
 */
import {
  SCHEDULER_NAMES as INVOKEAI_SCHEDULER_NAMES,
  type SchedulerName as InvokeAISchedulerName,
} from "@atelier/core";
import { DDIMScheduler, DDIM_DEFAULTS } from "./ddim.js";
import { DDPMScheduler, DDPM_DEFAULTS } from "./ddpm.js";
import { DEISMultistepScheduler, DEIS_DEFAULTS } from "./deis-multistep.js";
import { DPMSolverMultistepScheduler, DPM_MULTISTEP_DEFAULTS } from "./dpm-solver-multistep.js";
import { DPMSolverSinglestepScheduler, DPM_SINGLESTEP_DEFAULTS } from "./dpm-solver-singlestep.js";
import { DPMSolverSDEScheduler, DPM_SDE_DEFAULTS } from "./dpm-solver-sde.js";
import {
  EULER_ANCESTRAL_DEFAULTS,
  EULER_DEFAULTS,
  EulerAncestralDiscreteScheduler,
  EulerDiscreteScheduler,
} from "./euler-discrete.js";
import { FLOW_MATCH_EULER_DEFAULTS, FlowMatchEulerDiscreteScheduler } from "./flow-match-euler.js";
import { HEUN_DEFAULTS, HeunDiscreteScheduler } from "./heun-discrete.js";
import { KDPM2_DEFAULTS, KDPM2AncestralDiscreteScheduler, KDPM2DiscreteScheduler } from "./kdpm2-discrete.js";
import { LMS_DEFAULTS, LMSDiscreteScheduler } from "./lms-discrete.js";
import { CONSISTENCY_DEFAULTS, LCMScheduler, TCDScheduler } from "./consistency-schedulers.js";
import { PNDM_DEFAULTS, PNDMScheduler } from "./pndm.js";
import type { Scheduler } from "./scheduler.js";
import { SchedulerConfig, type SchedulerConfigInput, type SchedulerDefaults } from "./scheduler-config.js";
import { UnknownSchedulerError } from "./scheduler-errors.js";
import { UNIPC_DEFAULTS, UniPCMultistepScheduler } from "./unipc-multistep.js";

interface SchedulerClass {
  readonly defaults: SchedulerDefaults;
  create(config: SchedulerConfig): Scheduler;
}

const cls = (defaults: SchedulerDefaults, create: (c: SchedulerConfig) => Scheduler): SchedulerClass => ({
  defaults,
  create,
});

/** The diffusers scheduler classes Atelier implements, by class name. */
export const SCHEDULER_CLASSES: Readonly<Record<string, SchedulerClass>> = {
  DDIMScheduler: cls(DDIM_DEFAULTS, (c) => new DDIMScheduler(c)),
  DDPMScheduler: cls(DDPM_DEFAULTS, (c) => new DDPMScheduler(c)),
  DEISMultistepScheduler: cls(DEIS_DEFAULTS, (c) => new DEISMultistepScheduler(c)),
  LMSDiscreteScheduler: cls(LMS_DEFAULTS, (c) => new LMSDiscreteScheduler(c)),
  PNDMScheduler: cls(PNDM_DEFAULTS, (c) => new PNDMScheduler(c)),
  HeunDiscreteScheduler: cls(HEUN_DEFAULTS, (c) => new HeunDiscreteScheduler(c)),
  EulerDiscreteScheduler: cls(EULER_DEFAULTS, (c) => new EulerDiscreteScheduler(c)),
  EulerAncestralDiscreteScheduler: cls(EULER_ANCESTRAL_DEFAULTS, (c) => new EulerAncestralDiscreteScheduler(c)),
  KDPM2DiscreteScheduler: cls(KDPM2_DEFAULTS, (c) => new KDPM2DiscreteScheduler(c)),
  KDPM2AncestralDiscreteScheduler: cls(KDPM2_DEFAULTS, (c) => new KDPM2AncestralDiscreteScheduler(c)),
  DPMSolverSinglestepScheduler: cls(DPM_SINGLESTEP_DEFAULTS, (c) => new DPMSolverSinglestepScheduler(c)),
  DPMSolverSDEScheduler: cls(DPM_SDE_DEFAULTS, (c) => new DPMSolverSDEScheduler(c)),
  DPMSolverMultistepScheduler: cls(DPM_MULTISTEP_DEFAULTS, (c) => new DPMSolverMultistepScheduler(c)),
  UniPCMultistepScheduler: cls(UNIPC_DEFAULTS, (c) => new UniPCMultistepScheduler(c)),
  LCMScheduler: cls(CONSISTENCY_DEFAULTS, (c) => new LCMScheduler(c)),
  TCDScheduler: cls(CONSISTENCY_DEFAULTS, (c) => new TCDScheduler(c)),
  FlowMatchEulerDiscreteScheduler: cls(FLOW_MATCH_EULER_DEFAULTS, (c) => new FlowMatchEulerDiscreteScheduler(c)),
};

/** The names the engine builds a scheduler for: InvokeAI's `SCHEDULER_NAMES` less `er_sde`, plus FLUX's flow-matching Euler. */
export const SCHEDULER_NAMES: readonly (Exclude<InvokeAISchedulerName, "er_sde"> | "flow_match_euler")[] = [
  ...INVOKEAI_SCHEDULER_NAMES.filter((n): n is Exclude<InvokeAISchedulerName, "er_sde"> => n !== "er_sde"),
  "flow_match_euler",
];

/** One of `SCHEDULER_NAMES`. */
export type SchedulerName = (typeof SCHEDULER_NAMES)[number];

const karras = (k: boolean) => ({ use_karras_sigmas: k });

/** InvokeAI's SCHEDULER_MAP: the diffusers class and the config overrides of each name. */
export const INVOKEAI_SCHEDULER_MAP: Readonly<
  Record<SchedulerName, { className: string; overrides: SchedulerConfigInput }>
> = {
  ddim: { className: "DDIMScheduler", overrides: {} },
  ddpm: { className: "DDPMScheduler", overrides: {} },
  deis: { className: "DEISMultistepScheduler", overrides: karras(false) },
  deis_k: { className: "DEISMultistepScheduler", overrides: karras(true) },
  lms: { className: "LMSDiscreteScheduler", overrides: karras(false) },
  lms_k: { className: "LMSDiscreteScheduler", overrides: karras(true) },
  pndm: { className: "PNDMScheduler", overrides: {} },
  heun: { className: "HeunDiscreteScheduler", overrides: karras(false) },
  heun_k: { className: "HeunDiscreteScheduler", overrides: karras(true) },
  euler: { className: "EulerDiscreteScheduler", overrides: karras(false) },
  euler_k: { className: "EulerDiscreteScheduler", overrides: karras(true) },
  euler_a: { className: "EulerAncestralDiscreteScheduler", overrides: {} },
  kdpm_2: { className: "KDPM2DiscreteScheduler", overrides: karras(false) },
  kdpm_2_k: { className: "KDPM2DiscreteScheduler", overrides: karras(true) },
  kdpm_2_a: { className: "KDPM2AncestralDiscreteScheduler", overrides: karras(false) },
  kdpm_2_a_k: { className: "KDPM2AncestralDiscreteScheduler", overrides: karras(true) },
  dpmpp_2s: { className: "DPMSolverSinglestepScheduler", overrides: karras(false) },
  dpmpp_2s_k: { className: "DPMSolverSinglestepScheduler", overrides: karras(true) },
  dpmpp_sde: { className: "DPMSolverSDEScheduler", overrides: { ...karras(false), noise_sampler_seed: 0 } },
  dpmpp_sde_k: { className: "DPMSolverSDEScheduler", overrides: { ...karras(true), noise_sampler_seed: 0 } },
  dpmpp_2m: { className: "DPMSolverMultistepScheduler", overrides: { ...karras(false), solver_order: 2 } },
  dpmpp_2m_k: { className: "DPMSolverMultistepScheduler", overrides: { ...karras(true), solver_order: 2 } },
  dpmpp_2m_sde: {
    className: "DPMSolverMultistepScheduler",
    overrides: { ...karras(false), solver_order: 2, algorithm_type: "sde-dpmsolver++" },
  },
  dpmpp_2m_sde_k: {
    className: "DPMSolverMultistepScheduler",
    overrides: { ...karras(true), solver_order: 2, algorithm_type: "sde-dpmsolver++" },
  },
  dpmpp_3m: { className: "DPMSolverMultistepScheduler", overrides: { ...karras(false), solver_order: 3 } },
  dpmpp_3m_k: { className: "DPMSolverMultistepScheduler", overrides: { ...karras(true), solver_order: 3 } },
  unipc: { className: "UniPCMultistepScheduler", overrides: karras(false) },
  unipc_k: { className: "UniPCMultistepScheduler", overrides: karras(true) },
  lcm: { className: "LCMScheduler", overrides: {} },
  tcd: { className: "TCDScheduler", overrides: {} },
  flow_match_euler: { className: "FlowMatchEulerDiscreteScheduler", overrides: {} },
};

/** Whether a string is one of `SCHEDULER_NAMES`. */
export function isSchedulerName(name: string): name is SchedulerName {
  return (SCHEDULER_NAMES as readonly string[]).includes(name);
}

/**
 * A scheduler by InvokeAI name, built from the model's scheduler_config.json (diffusers `from_config` rules)
 * with InvokeAI's overrides for that name, then the caller's (e.g. `prediction_type` from the model config,
 * `noise_sampler_seed` = the seed for dpmpp_sde).
 */
export function createScheduler(
  name: string,
  schedulerConfigJson: SchedulerConfigInput = {},
  overrides: SchedulerConfigInput = {},
): Scheduler {
  if (!isSchedulerName(name)) throw new UnknownSchedulerError(name, SCHEDULER_NAMES);
  const entry = INVOKEAI_SCHEDULER_MAP[name];
  const fileConfig = fixDeisAlgorithm(entry.className, schedulerConfigJson);
  return schedulerFromConfig(entry.className, fileConfig, { ...entry.overrides, ...overrides });
}

/** A scheduler by diffusers class name (e.g. a model's own `_class_name`) from a config and overrides. */
export function schedulerFromConfig(
  className: string,
  schedulerConfigJson: SchedulerConfigInput = {},
  overrides: SchedulerConfigInput = {},
): Scheduler {
  const entry = SCHEDULER_CLASSES[className];
  if (entry === undefined) throw new UnknownSchedulerError(className, Object.keys(SCHEDULER_CLASSES));
  return entry.create(new SchedulerConfig(className, entry.defaults, schedulerConfigJson, overrides));
}

// InvokeAI: a DEIS model config carries algorithm_type "deis", which the DPM-Solver classes must not inherit.
function fixDeisAlgorithm(className: string, config: SchedulerConfigInput): SchedulerConfigInput {
  const dpm = className === "DPMSolverMultistepScheduler" || className === "DPMSolverSinglestepScheduler";
  if (dpm && config._class_name === "DEISMultistepScheduler" && config.algorithm_type === "deis") {
    return { ...config, algorithm_type: "dpmsolver++" };
  }
  return config;
}
