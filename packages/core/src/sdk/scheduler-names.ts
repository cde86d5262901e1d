/**
 * InvokeAI's scheduler names (`SCHEDULER_NAME_VALUES`), in its order: the values of the `scheduler` field that its
 * denoise and metadata nodes accept. The engine builds a scheduler for each of these but `er_sde`, and adds FLUX's
 * `flow_match_euler`.
 */
export const SCHEDULER_NAMES = [
  "ddim",
  "ddpm",
  "deis",
  "deis_k",
  "lms",
  "lms_k",
  "pndm",
  "heun",
  "heun_k",
  "euler",
  "euler_k",
  "euler_a",
  "kdpm_2",
  "kdpm_2_k",
  "kdpm_2_a",
  "kdpm_2_a_k",
  "dpmpp_2s",
  "dpmpp_2s_k",
  "dpmpp_2m",
  "dpmpp_2m_k",
  "dpmpp_2m_sde",
  "dpmpp_2m_sde_k",
  "dpmpp_3m",
  "dpmpp_3m_k",
  "dpmpp_sde",
  "dpmpp_sde_k",
  "er_sde",
  "unipc",
  "unipc_k",
  "lcm",
  "tcd",
] as const;

/** One of InvokeAI's `SCHEDULER_NAMES`. */
export type SchedulerName = (typeof SCHEDULER_NAMES)[number];
