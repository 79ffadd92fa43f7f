import { WorkerEntrypoint } from "cloudflare:workers";

export default class Callee extends WorkerEntrypoint {
  add(a, b) {
    return a + b;
  }
  fetch() {
    return new Response("callee");
  }
}
