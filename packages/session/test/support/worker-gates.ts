/**
 * Gates a test can hold requests at inside a Worker (workerd, through
 * Miniflare): flags polled by the waiting request itself, since workerd
 * does not let one request resume another's continuation. A request parks
 * with `enterGate(name)`; the test asks `/gate-waiting?name=` until it is
 * there and lets it go with `/gate-release?name=` (`gateEndpoints`).
 */
const gates = new Map<string, { waiting: boolean; released: boolean }>();

/** Parks the caller at the gate `name` until the test releases it (at most 10 s). */
export async function enterGate(name: string): Promise<void> {
  const gate = { waiting: true, released: false };
  gates.set(name, gate);
  for (let waited = 0; !gate.released && waited < 10_000; waited += 10) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  gate.waiting = false;
}

/** The answer to `/gate-waiting` or `/gate-release`, or `undefined` for any other path. */
export function gateEndpoints(url: URL): Response | undefined {
  const gate = gates.get(url.searchParams.get("name") ?? "");
  if (url.pathname === "/gate-waiting") return Response.json({ waiting: gate?.waiting ?? false });
  if (url.pathname === "/gate-release") {
    if (gate) gate.released = true;
    return Response.json({ released: gate?.waiting ?? false });
  }
  return undefined;
}
