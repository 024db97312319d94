/**
 * Type tests of the server-side stores' client shapes, compiled by
 * `npm run typecheck`, never run: the clients users hold (a pg.Pool, a
 * @netlify/blobs store, a Durable Object namespace binding) fit as they are.
 */
import { getStore } from "@netlify/blobs";
import type { Miniflare } from "miniflare";
import pg from "pg";
import {
  DurableObjectSessionStore,
  NetlifyBlobsSessionStore,
  PostgresSessionStore,
  type DurableObjectNamespaceLike,
  type NetlifyBlobStoreLike,
  type PostgresClientLike,
} from "hattip-session";

export const pool: PostgresClientLike = new pg.Pool();
export const client: PostgresClientLike = new pg.Client();
export const postgres = new PostgresSessionStore({ client: new pg.Pool() });

export const blobs: NetlifyBlobStoreLike = getStore({ name: "sessions", consistency: "strong" });
export const netlify = new NetlifyBlobsSessionStore({ getStore: () => getStore("sessions") });

export async function bindings(mf: Miniflare) {
  const namespace: DurableObjectNamespaceLike = await mf.getDurableObjectNamespace("SESSIONS");
  return new DurableObjectSessionStore({ getNamespace: () => namespace });
}
