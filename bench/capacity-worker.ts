/**
 * The capacity plan's Worker (bench/capacity.ts bundles it): it only
 * exports the package's SessionDurableObject, which the store in Node calls
 * through Miniflare's binding, so that the objects' SQLite files can be
 * measured.
 */
export { SessionDurableObject } from "hattip-session";

export default {
  fetch: () => new Response("sessions live in the SESSIONS Durable Objects", { status: 404 }),
};
