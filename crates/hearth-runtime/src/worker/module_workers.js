// The `cloudflare:workers` module.
import { internal } from 'hearth:internal';
export const DurableObject = internal.DurableObject;
export const WorkerEntrypoint = internal.WorkerEntrypoint;
export const RpcTarget = internal.RpcTarget;
export const WorkflowEntrypoint = internal.WorkflowEntrypoint;
export const env = internal.env;
export default { DurableObject, WorkerEntrypoint, RpcTarget, WorkflowEntrypoint, env };
