/**
 * Effect's Random over the system's CSPRNG, for the processes that create ids: the default Random has a 32-bit
 * seed, so replicas and restarts could repeat a sequence and collide on the ids they draw. Tests and simulations
 * keep a seeded Random, and with it their replays.
 */
import { Chunk, Effect, Random } from "effect"
import { randomFillSync } from "node:crypto"

const twoPow32 = 2 ** 32
const twoPow53 = 2 ** 53

/** A uniform integer in [0, 2^53). */
const bits53 = (): number => {
  const words = randomFillSync(new Uint32Array(2))
  return (words[0]! & 0x1fffff) * twoPow32 + words[1]!
}

/** A uniform double in [0, 1) with 53 random bits, like the PRNG's. */
const unit = (): number => bits53() / twoPow53

/** As Effect's PRNG does, an integer in [min, max). */
const intBetween = (min: number, max: number): number => min + Math.floor(unit() * (max - min))

export const random: Random.Random = {
  [Random.RandomTypeId]: Random.RandomTypeId,
  next: Effect.sync(unit),
  nextBoolean: Effect.sync(() => unit() > 0.5),
  nextInt: Effect.sync(() => intBetween(0, Number.MAX_SAFE_INTEGER)),
  nextRange: (min, max) => Effect.sync(() => (max - min) * unit() + min),
  nextIntBetween: (min, max) => Effect.sync(() => intBetween(min, max)),
  shuffle: <A>(elements: Iterable<A>) =>
    Effect.sync(() => {
      // Fisher-Yates.
      const buffer = Array.from(elements)
      for (let i = buffer.length - 1; i > 0; i--) {
        const j = intBetween(0, i + 1)
        const swapped = buffer[i]!
        buffer[i] = buffer[j]!
        buffer[j] = swapped
      }
      return Chunk.fromIterable(buffer)
    })
}

/** Runs `effect` (and every fiber it starts) with the CSPRNG as its Random. */
export const provide = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.withRandom(effect, random)
