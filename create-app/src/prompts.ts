import * as clack from "@clack/prompts";
import { CancelledError } from "./errors.js";
import type { TemplateChoice } from "./catalog.js";

function answered<T>(value: T | symbol): Exclude<T, symbol> {
  if (typeof value === "symbol" || clack.isCancel(value)) {
    clack.cancel("Cancelled: nothing was written.");
    throw new CancelledError();
  }
  return value as Exclude<T, symbol>;
}

export async function askFolder(
  defaultFolder: string,
  validate: (folder: string) => string | undefined,
): Promise<string> {
  return answered(
    await clack.text({
      message: "Project folder",
      placeholder: defaultFolder,
      defaultValue: defaultFolder,
      validate: (value) => validate(value?.trim() || defaultFolder),
    }),
  ).trim() || defaultFolder;
}

export async function askTemplate(templates: TemplateChoice[]): Promise<string> {
  return answered(
    await clack.select({
      message: "Where will it run?",
      options: templates.map(({ name, label, hint }) => ({ value: name, label, hint })),
    }),
  );
}

export async function askYesNo(message: string): Promise<boolean> {
  return answered(await clack.confirm({ message, initialValue: true }));
}
