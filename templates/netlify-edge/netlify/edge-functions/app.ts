/**
 * The one Netlify Edge Function; netlify.toml routes every path to it and
 * the app's router answers them all.
 */
import { handleRequest } from "../../src/edge-handler.ts";

export default handleRequest;
