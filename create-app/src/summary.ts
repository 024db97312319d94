// The line that says what was made, in words a person would use: the folder,
// the platform, and where its sessions live ("Cloudflare Workers, sessions in
// Durable Objects"), never a label dropped into a sentence as it was written
// for a list.
import type { Platform } from "./catalog.js";

export interface CreatedApp {
  /** The folder as the user sees it. */
  folder: string;
  /** The template as the user named it: a platform, a folder or a giget source. */
  templateName: string;
  /** The catalog's entry when the template is one of this project's platforms. */
  platform: Platform | undefined;
  /** The store applied, when the template offers a choice. */
  store: { name: string; label: string } | undefined;
}

export function createdLine({ folder, templateName, platform, store }: CreatedApp): string {
  const sessions = store && `sessions in ${platform?.storesInWords?.[store.name] ?? store.label}`;
  if (platform) return `Created ${folder}: ${[platform.label, sessions].filter(Boolean).join(", ")}.`;
  return `Created ${folder} from ${templateName}${sessions ? `, ${sessions}` : ""}.`;
}
