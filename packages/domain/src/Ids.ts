/**
 * Branded identifiers, and the derivation of deterministic ids: a task or result id is a
 * function of what it is about, never random per attempt, so redelivered work lands on the same key.
 */
import { Effect, Random, Schema } from "effect"
import { hash } from "node:crypto"

export const ScanId = Schema.UUID.pipe(Schema.brand("ScanId"))
export type ScanId = typeof ScanId.Type

export const TaskId = Schema.UUID.pipe(Schema.brand("TaskId"))
export type TaskId = typeof TaskId.Type

export const ResultId = Schema.UUID.pipe(Schema.brand("ResultId"))
export type ResultId = typeof ResultId.Type

export const UserId = Schema.UUID.pipe(Schema.brand("UserId"))
export type UserId = typeof UserId.Type

export const OrganizationId = Schema.UUID.pipe(Schema.brand("OrganizationId"))
export type OrganizationId = typeof OrganizationId.Type

export const ModuleId = Schema.String.pipe(
  Schema.pattern(/^[a-z][a-z0-9_]{1,63}$/, { message: () => "a module id is lowercase letters, digits and _" }),
  Schema.brand("ModuleId")
)
export type ModuleId = typeof ModuleId.Type

export const TemplateId = Schema.String.pipe(
  Schema.pattern(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, { message: () => "a template id is 1-64 of A-Z a-z 0-9 _ -" }),
  Schema.brand("TemplateId")
)
export type TemplateId = typeof TemplateId.Type

/**
 * A UUID (version 8, "custom") derived from the given parts with SHA-256: same parts, same id. One-shot `hash`: made
 * for every task and result, and a `Hash` object costs more than the digest of a few dozen bytes.
 */
export const deriveUuid = (...parts: ReadonlyArray<string>): string => {
  const hex = hash("sha256", parts.join("\u0000"), "hex")
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${
    hex.slice(20, 32)
  }`
}

/**
 * A random UUID (version 4) from Effect's Random: a seeded Random (a simulation's) gives the same ids on every
 * replay. Its 122 random bits are only as unpredictable as the Random behind them: processes that create ids
 * others must never repeat run with a Random over the system's CSPRNG.
 */
export const randomUuid: Effect.Effect<string> = Effect.map(
  Effect.all(Array.from({ length: 8 }, () => Random.nextIntBetween(0, 0x10000))),
  (words) => {
    const hex = words.map((word) => word.toString(16).padStart(4, "0")).join("")
    const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${
      hex.slice(20, 32)
    }`
  }
)

/** The task that runs `module` on one entity of one scan (`scan/entity/module`). */
export const taskIdFor = (owner: string, entityKey: string, module: string): TaskId =>
  deriveUuid("task", owner, entityKey, module) as TaskId

/** The result of a scan (or standalone job) with the given content hash. */
export const resultIdFor = (owner: string, contentHash: string): ResultId =>
  deriveUuid("result", owner, contentHash) as ResultId
