// The `cloudflare:workers` module.
const internal = globalThis.__hearth_internal;
export const DurableObject = internal.DurableObject;
export const WorkerEntrypoint = internal.WorkerEntrypoint;
export const RpcTarget = internal.RpcTarget;
export const WorkflowEntrypoint = internal.WorkflowEntrypoint;
export const env = internal.env;
export default { DurableObject, WorkerEntrypoint, RpcTarget, WorkflowEntrypoint, env };
