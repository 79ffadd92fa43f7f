// The "users" service: no public routes of its own, an RPC API for other
// workers (the default export) and an admin entrypoint.
import { WorkerEntrypoint } from "cloudflare:workers";

export class Admin extends WorkerEntrypoint {
  async count() {
    const { keys } = await this.env.USERS.list();
    return keys.length;
  }
}

export default class Users extends WorkerEntrypoint {
  async create(name) {
    if (typeof name !== "string" || !/^[a-z]{1,20}$/.test(name)) {
      throw new RangeError(`invalid user name ${JSON.stringify(name)}: use 1-20 lowercase letters`);
    }
    const user = { name, created: new Date() };
    await this.env.USERS.put(name, JSON.stringify(user));
    return user;
  }
  async get(name) {
    const stored = await this.env.USERS.get(name, "json");
    return stored && { name: stored.name, created: new Date(stored.created) };
  }
  fetch() {
    return new Response("users has no public routes; call it over RPC\n", { status: 404 });
  }
}
