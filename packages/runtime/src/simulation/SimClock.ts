/**
 * A TestClock for simulations: the same interface (`TestClock.adjust` reaches it, since the test clock is the Clock
 * service), but it advances without the default TestClock's real-timer polls for suspended fibers (three
 * `setTimeout(0)` per wake-up, which made one seed of a few thousand wake-ups take seconds). After each wake-up it
 * yields to the scheduler until the woken fibers have settled, so a run is deterministic and fast.
 */
import { Chunk, Clock, Duration, Effect } from "effect"
import type { TestClock } from "effect"

interface Sleeper {
  readonly at: number
  readonly order: number
  readonly wake: () => void
}

/** Yields to other fibers while they keep using the clock, at most this many times per wake-up. */
const maxYields = 64

export class SimClock implements TestClock.TestClock {
  readonly [Clock.ClockTypeId]: Clock.ClockTypeId = Clock.ClockTypeId
  private now: number
  private order = 0
  /** Bumped by every clock read and sleep: how the clock tells that fibers are still busy. */
  private activity = 0
  /** Sorted by (at, order). */
  private sleepers: Array<Sleeper> = []
  /** Wake-ups and scheduler yields so far: what a run cost. */
  readonly stats = { wakeups: 0, yields: 0 }

  constructor(start = 0) {
    this.now = start
  }

  unsafeCurrentTimeMillis(): number {
    return this.now
  }

  unsafeCurrentTimeNanos(): bigint {
    return BigInt(Math.floor(this.now)) * 1_000_000n
  }

  readonly currentTimeMillis: Effect.Effect<number> = Effect.sync(() => {
    this.activity++
    return this.now
  })

  readonly currentTimeNanos: Effect.Effect<bigint> = Effect.sync(() => {
    this.activity++
    return this.unsafeCurrentTimeNanos()
  })

  sleep(duration: Duration.Duration): Effect.Effect<void> {
    const ms = Duration.toMillis(duration)
    if (!(ms > 0)) return Effect.void
    return Effect.async<void>((resume) => {
      this.activity++
      const sleeper: Sleeper = { at: this.now + ms, order: this.order++, wake: () => resume(Effect.void) }
      this.insert(sleeper)
      return Effect.sync(() => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper)
      })
    })
  }

  adjust(duration: Duration.DurationInput): Effect.Effect<void> {
    return Effect.suspend(() => this.runUntil(this.now + Duration.toMillis(Duration.decode(duration))))
  }

  adjustWith(duration: Duration.DurationInput) {
    return <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
      Effect.zipLeft(effect, this.adjust(duration), { concurrent: true })
  }

  get save(): Effect.Effect<Effect.Effect<void>> {
    return Effect.sync(() => {
      const now = this.now
      return Effect.sync(() => {
        this.now = now
      })
    })
  }

  setTime(time: number): Effect.Effect<void> {
    return Effect.suspend(() => this.runUntil(time))
  }

  get sleeps(): Effect.Effect<Chunk.Chunk<number>> {
    return Effect.sync(() => Chunk.fromIterable(this.sleepers.map((s) => s.at)))
  }

  private insert(sleeper: Sleeper) {
    let i = this.sleepers.length
    while (i > 0 && this.sleepers[i - 1]!.at > sleeper.at) i--
    this.sleepers.splice(i, 0, sleeper)
  }

  /** Yields until no fiber read the clock or slept during two yields in a row. */
  private readonly settle: Effect.Effect<void> = Effect.gen(this, function*() {
    let quiet = 0
    for (let i = 0; i < maxYields && quiet < 2; i++) {
      const before = this.activity
      yield* Effect.yieldNow()
      this.stats.yields++
      quiet = this.activity === before ? quiet + 1 : 0
    }
  })

  private runUntil(end: number): Effect.Effect<void> {
    return Effect.gen(this, function*() {
      yield* this.settle
      while (true) {
        const first = this.sleepers[0]
        if (first === undefined || first.at > end) break
        // Everything due at the same instant wakes together, in the order it went to sleep.
        const due = this.sleepers.filter((s) => s.at === first.at)
        this.sleepers = this.sleepers.slice(due.length)
        this.now = Math.max(this.now, first.at)
        this.stats.wakeups++
        for (const sleeper of due) sleeper.wake()
        yield* this.settle
      }
      this.now = Math.max(this.now, end)
      yield* this.settle
    })
  }
}
