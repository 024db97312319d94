/**
 * The one Vercel Edge Function; vercel.json rewrites every path here, and
 * the request keeps the URL the browser asked for, so the app routes as usual.
 */
import { handleRequest } from "../src/edge-handler.js";

export const config = { runtime: "edge" };

export default handleRequest;
