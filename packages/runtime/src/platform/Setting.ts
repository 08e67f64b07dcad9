/**
 * How a setting is declared: once, in its area's `Settings.ts`, with its environment variable, its type, its default
 * and a description. A declaration is an Effect `Config` the code reads as any other, and an entry of one registry,
 * from which `GET /config` on a node's operator port and `mirage config` print the effective values (secrets
 * redacted) and the README's configuration table is generated. Times are `Duration`s: a `_MS` variable holds
 * milliseconds, a `_SECONDS` (or `_S`) one seconds, any other time variable a duration such as `3 minutes`.
 */
import type { Option } from "effect"
import { Config, ConfigError, Duration, Effect, Either, Redacted } from "effect"

/**
 * Where a setting belongs: a folder of the runtime, the process that reads it, or "development" for what only the
 * development tools read (the local services script, the bench, the browser tests).
 */
export type Area =
  | "cluster"
  | "scans"
  | "monitoring"
  | "collection"
  | "tenancy"
  | "platform"
  | "gateway"
  | "node"
  | "launcher"
  | "cli"
  | "development"

/** The order settings are listed in: the stores first, then each process from the outside in, development last. */
const areaOrder: ReadonlyArray<Area> = [
  "platform",
  "gateway",
  "cluster",
  "scans",
  "monitoring",
  "collection",
  "tenancy",
  "node",
  "launcher",
  "cli",
  "development"
]

export interface Declaration {
  /** The environment variable; a family of variables is written with a placeholder, `MIRAGE_KEY_<SOURCE>`. */
  readonly name: string
  readonly area: Area
  readonly description: string
  /** The default as the README shows it (`4000`, `3 minutes`, `none`). */
  readonly shownDefault: string
  /** Its value is never printed: a key, a password, a URL that may carry credentials. */
  readonly secret: boolean
  /** The value the current configuration gives it, shown as text (undefined for a family). */
  readonly show: Effect.Effect<string, ConfigError.ConfigError> | undefined
}

const registry = new Map<string, Declaration>()

/** Every setting declared by the modules loaded so far, by area then name. */
export const declarations = (): ReadonlyArray<Declaration> =>
  [...registry.values()].sort((a, b) =>
    areaOrder.indexOf(a.area) - areaOrder.indexOf(b.area) || a.name.localeCompare(b.name)
  )

interface Options<A> {
  readonly default: A
  readonly description: string
}

const register = <A>(
  area: Area,
  name: string,
  description: string,
  shownDefault: string,
  config: Config.Config<A>,
  show: (value: A) => string,
  secret = false
): Config.Config<A> => {
  if (registry.has(name)) throw new Error(`setting ${name} is declared twice`)
  const described = config.pipe(Config.withDescription(description))
  registry.set(name, {
    name,
    area,
    description,
    shownDefault,
    secret,
    show: Effect.map(described, (value) => secret ? "<redacted>" : show(value))
  })
  return described
}

/** A numeric setting read by `read` (`Config.integer` or `Config.number`). */
const numeric =
  (read: (name: string) => Config.Config<number>) =>
  (area: Area, name: string, options: Options<number>): Config.Config<number> =>
    register(
      area,
      name,
      options.description,
      String(options.default),
      read(name).pipe(Config.withDefault(options.default)),
      String
    )

export const integer = numeric(Config.integer)

export const number = numeric(Config.number)

export const boolean = (area: Area, name: string, options: Options<boolean>): Config.Config<boolean> =>
  register(
    area,
    name,
    options.description,
    options.default ? "on" : "off",
    Config.boolean(name).pipe(
      Config.withDefault(options.default)
    ),
    (value) => value ? "on" : "off"
  )

/** A text setting; `shown` is the default as the README says it when the text itself says little (`{}`). */
export const string = (
  area: Area,
  name: string,
  options: Options<string> & { readonly shown?: string }
): Config.Config<string> =>
  register(
    area,
    name,
    options.description,
    options.shown ?? (options.default === "" ? "none" : options.default),
    Config.string(name).pipe(Config.withDefault(options.default)),
    (value) => value === "" ? "(empty)" : value
  )

export const literal = <const L extends ReadonlyArray<string>>(
  area: Area,
  name: string,
  literals: L,
  options: Options<L[number]> & { readonly shown?: string }
): Config.Config<L[number]> =>
  register(
    area,
    name,
    `${options.description} (${literals.join(" or ")})`,
    options.shown ?? options.default,
    Config.literal(...literals)(name).pipe(Config.withDefault(options.default)),
    String
  )

/** A setting with no default: absent means the feature is off or another value is derived. */
export const optional = (
  area: Area,
  name: string,
  options: { readonly description: string; readonly shown?: string }
): Config.Config<Option.Option<string>> =>
  register(
    area,
    name,
    options.description,
    options.shown ?? "none",
    Config.option(Config.string(name)),
    (value) => value._tag === "Some" ? value.value : "(not set)"
  )

/** A secret with a default (a local store's URL): read as Redacted, never printed. */
export const secret = (area: Area, name: string, options: Options<string>): Config.Config<Redacted.Redacted> =>
  register(
    area,
    name,
    options.description,
    options.default,
    Config.redacted(name).pipe(Config.withDefault(Redacted.make(options.default))),
    () => "",
    true
  )

/** A secret with no default. */
export const optionalSecret = (
  area: Area,
  name: string,
  options: { readonly description: string }
): Config.Config<Option.Option<Redacted.Redacted>> =>
  register(area, name, options.description, "none", Config.option(Config.redacted(name)), () => "", true)

const showDuration = (duration: Duration.Duration) => Duration.format(duration)

/** A time held in milliseconds by a `_MS` variable, read as a Duration. */
export const millis = (
  area: Area,
  name: string,
  options: { readonly default: Duration.DurationInput; readonly description: string }
): Config.Config<Duration.Duration> => {
  const fallback = Duration.decode(options.default)
  return register(
    area,
    name,
    options.description,
    `${Duration.toMillis(fallback)} (${showDuration(fallback)})`,
    Config.integer(name).pipe(Config.map(Duration.millis), Config.withDefault(fallback)),
    (value) => `${Duration.toMillis(value)} (${showDuration(value)})`
  )
}

/** A time held in whole or fractional seconds by a `_SECONDS` (or `_S`) variable, read as a Duration. */
export const seconds = (
  area: Area,
  name: string,
  options: { readonly default: Duration.DurationInput; readonly description: string }
): Config.Config<Duration.Duration> => {
  const fallback = Duration.decode(options.default)
  const inSeconds = (value: Duration.Duration) => Duration.toSeconds(value)
  return register(
    area,
    name,
    options.description,
    `${inSeconds(fallback)} (${showDuration(fallback)})`,
    Config.number(name).pipe(Config.map(Duration.seconds), Config.withDefault(fallback)),
    (value) => `${inSeconds(value)} (${showDuration(value)})`
  )
}

/** A time written as a duration: `180 seconds`, `3 minutes`. */
export const duration = (
  area: Area,
  name: string,
  options: { readonly default: Duration.DurationInput; readonly description: string }
): Config.Config<Duration.Duration> => {
  const fallback = Duration.decode(options.default)
  return register(
    area,
    name,
    options.description,
    showDuration(fallback),
    Config.duration(name).pipe(Config.withDefault(fallback)),
    showDuration
  )
}

/** A family of variables named at run time (`MIRAGE_KEY_<SOURCE>`): declared for the record, read by its owner. */
export const family = (
  area: Area,
  pattern: string,
  options: { readonly description: string; readonly secret: boolean }
): string => {
  if (registry.has(pattern)) throw new Error(`setting ${pattern} is declared twice`)
  registry.set(pattern, {
    name: pattern,
    area,
    description: options.description,
    shownDefault: "none",
    secret: options.secret,
    show: undefined
  })
  return pattern
}

/** Whether a variable name is declared, itself or as a member of a family. */
export const isDeclared = (name: string): boolean =>
  registry.has(name) ||
  [...registry.keys()].some((pattern) => {
    const open = pattern.indexOf("<")
    return open > 0 && pattern.endsWith(">") && name.startsWith(pattern.slice(0, open)) && name.length > open
  })

export interface Effective {
  readonly name: string
  readonly area: Area
  readonly value: string
  /** `set` when the environment gives it, else `default`; `invalid` when what it gives does not parse. */
  readonly origin: "set" | "default" | "invalid"
  readonly description: string
}

/** The effective value of every declared setting under the current configuration, secrets redacted. */
export const effective: Effect.Effect<ReadonlyArray<Effective>> = Effect.suspend(() =>
  Effect.forEach(
    declarations().filter((declaration) => declaration.show !== undefined),
    (declaration) =>
      Effect.gen(function*() {
        const given = yield* Effect.either(Config.string(declaration.name))
        const shown = yield* Effect.either(declaration.show!)
        return {
          name: declaration.name,
          area: declaration.area,
          description: declaration.description,
          value: Either.isLeft(shown)
            ? `invalid: ${ConfigError.isConfigError(shown.left) ? String(shown.left) : "unreadable"}`
            : shown.right,
          origin: Either.isLeft(shown) ? "invalid" : Either.isRight(given) ? "set" : "default"
        } as const
      })
  )
)
