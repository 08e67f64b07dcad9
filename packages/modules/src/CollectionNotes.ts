/**
 * What a module tells the collection log besides its findings: rows of an answer it could not
 * read (skipped, counted, the first reason kept) and warnings (a later page that failed while
 * earlier pages' findings were kept). A task with notes still completes.
 */
import { Effect, Ref } from "effect"

export interface NotesSummary {
  readonly rows_skipped: number
  /** Why the first skipped row was skipped; null when none was. */
  readonly skip_reason: string | null
  readonly warnings: ReadonlyArray<string>
}

export interface CollectionNotes {
  /** `count` rows (1 by default) of an answer were not usable, for `reason`. */
  readonly skipped: (reason: string, count?: number) => Effect.Effect<void>
  readonly warn: (message: string) => Effect.Effect<void>
  readonly summary: Effect.Effect<NotesSummary>
}

/** At most this many warnings are kept: a source failing every page must not grow the log without bound. */
const maxWarnings = 20

export const emptyNotes: NotesSummary = { rows_skipped: 0, skip_reason: null, warnings: [] }

/** Notes kept in memory; `onNote` also sees each one as it comes (the module's log, for instance). */
export const makeNotes = (
  onNote: (message: string, fields: Readonly<Record<string, unknown>>) => Effect.Effect<void> = () => Effect.void
): Effect.Effect<CollectionNotes> =>
  Effect.map(Ref.make(emptyNotes), (state) => ({
    skipped: (reason, count = 1) =>
      Ref.update(state, (notes) => ({
        ...notes,
        rows_skipped: notes.rows_skipped + count,
        skip_reason: notes.skip_reason ?? reason
      })).pipe(Effect.zipRight(onNote("rows skipped", { count, reason }))),
    warn: (message) =>
      Ref.update(state, (notes) => ({
        ...notes,
        warnings: notes.warnings.length >= maxWarnings ? notes.warnings : [...notes.warnings, message]
      })).pipe(Effect.zipRight(onNote("warning", { warning: message }))),
    summary: Ref.get(state)
  }))

/** Notes that go nowhere, for contexts built by hand. */
export const discardNotes: CollectionNotes = {
  skipped: () => Effect.void,
  warn: () => Effect.void,
  summary: Effect.succeed(emptyNotes)
}
