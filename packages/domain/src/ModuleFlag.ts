/**
 * What a module is like, for choosing modules without naming them: whether it touches the target
 * (passive / active), how hard it hits (safe / aggressive / noisy) and whether it needs a key.
 */
import { Schema } from "effect"

export const ModuleFlag = Schema.Literal("passive", "active", "safe", "aggressive", "noisy", "needs-key")
export type ModuleFlag = typeof ModuleFlag.Type
export const moduleFlags: ReadonlyArray<ModuleFlag> = ModuleFlag.literals

/** A choice of modules by flag: every module that has all of `include` and none of `exclude`. */
export const FlagSelector = Schema.Struct({
  include: Schema.Array(ModuleFlag).pipe(Schema.minItems(1)),
  exclude: Schema.optionalWith(Schema.Array(ModuleFlag), { default: () => [] })
})
export type FlagSelector = typeof FlagSelector.Type

/**
 * A request's choice of modules by flag (`"select": {"flags": ["passive", "safe"]}`), as the built-in
 * `all-passive-sources` template chooses: every installed module with all of `flags` and none of `exclude`, besides the
 * modules the request names. An unknown flag is refused (400 naming `select.flags[i]`).
 */
export const ModuleSelection = Schema.Struct({
  flags: Schema.Array(ModuleFlag).pipe(Schema.minItems(1)),
  exclude: Schema.optional(Schema.Array(ModuleFlag))
}).annotations({
  identifier: "ModuleSelection",
  description: "Modules chosen by flag: every installed module that has all of `flags` and none of `exclude`",
  examples: [{ flags: ["passive", "safe"], exclude: ["needs-key"] }]
})
export type ModuleSelection = typeof ModuleSelection.Type

/** The selector a request's selection stands for. */
export const selectorOf = (selection: ModuleSelection): FlagSelector => ({
  include: selection.flags,
  exclude: selection.exclude ?? []
})

/** The ids of the modules the selector picks, in the order given. */
export const selectByFlags = <M extends { readonly id: string; readonly flags: ReadonlyArray<ModuleFlag> }>(
  modules: ReadonlyArray<M>,
  selector: { readonly include: ReadonlyArray<ModuleFlag>; readonly exclude?: ReadonlyArray<ModuleFlag> }
): ReadonlyArray<M> =>
  modules.filter((module) =>
    selector.include.every((flag) => module.flags.includes(flag)) &&
    !(selector.exclude ?? []).some((flag) => module.flags.includes(flag))
  )
