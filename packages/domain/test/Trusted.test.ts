import { describe, expect, it } from "@effect/vitest"
import { CollectionResult } from "@mirage/domain/CollectionTask"
import { Entity } from "@mirage/domain/Entity"
import { trusted } from "@mirage/domain/Trusted"
import { Arbitrary, Equal, FastCheck, Hash, Schema } from "effect"

/** What `new Class(props, true)` makes and what `trusted` makes agree in every way a reader can tell. */
const sameInstance = <C extends new(props: never, options?: boolean) => object, I>(
  Class: C & Schema.Schema<InstanceType<C>, I>,
  props: { readonly [K in keyof InstanceType<C>]: InstanceType<C>[K] }
) => {
  const made = new Class(props as never, true) as InstanceType<C>
  const built = trusted(Class, props)
  expect(Object.getPrototypeOf(built)).toBe(Object.getPrototypeOf(made))
  expect(built).toBeInstanceOf(Class)
  expect(Reflect.ownKeys(built)).toEqual(Reflect.ownKeys(made))
  expect(Equal.equals(built, made)).toBe(true)
  expect(Hash.hash(built)).toBe(Hash.hash(made))
  expect(JSON.stringify(built)).toBe(JSON.stringify(made))
  expect(String(built)).toBe(String(made))
  expect(Schema.is(Class)(built)).toBe(true)
  expect(Schema.encodeSync(Class)(built)).toEqual(Schema.encodeSync(Class)(made))
}

const fieldsOf = <A extends object>(instance: A) => ({ ...instance })

describe("trusted", () => {
  it("builds the entity the constructor builds", () => {
    FastCheck.assert(
      FastCheck.property(Arbitrary.make(Entity), (entity) => sameInstance(Entity, fieldsOf(entity))),
      { numRuns: 200 }
    )
  })

  it("builds the result the constructor builds", () => {
    FastCheck.assert(
      FastCheck.property(
        Arbitrary.make(CollectionResult),
        (result) => sameInstance(CollectionResult, fieldsOf(result))
      ),
      { numRuns: 200 }
    )
  })

  it("keeps the props it is given and not the object they came in", () => {
    const props = { type: "DOMAIN" as const, value: "example.com" }
    const entity = trusted(Entity, props)
    expect(entity).not.toBe(props)
    expect(Object.isFrozen(entity)).toBe(Object.isFrozen(new Entity(props, true)))
  })
})
