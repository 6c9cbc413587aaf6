/**
 * @peculiar/x509 2.x builds on tsyringe, which refuses to load unless `Reflect.getMetadata` exists
 * ("tsyringe requires a reflect polyfill"). Gatehouse adds no dependency for that: this module
 * supplies the three functions tsyringe calls, backed by a WeakMap, and only when no polyfill (such
 * as `reflect-metadata`, which an application may already load) is present. It changes nothing
 * that already exists.
 */

type MetadataMap = Map<unknown, unknown>

interface ReflectWithMetadata {
  getMetadata?: (key: unknown, target: object) => unknown
  getOwnMetadata?: (key: unknown, target: object) => unknown
  defineMetadata?: (key: unknown, value: unknown, target: object) => void
}

const reflect = Reflect as unknown as ReflectWithMetadata

if (typeof reflect.getMetadata !== 'function') {
  const store = new WeakMap<object, MetadataMap>()
  const own = (key: unknown, target: object): unknown => store.get(target)?.get(key)
  reflect.getOwnMetadata = own
  reflect.getMetadata = (key, target) => {
    // Like reflect-metadata, look up the prototype chain (a bounded walk: chains end at null).
    for (let t: object | null = target; t !== null; t = Object.getPrototypeOf(t) as object | null) {
      const map = store.get(t)
      if (map?.has(key)) return map.get(key)
    }
    return undefined
  }
  reflect.defineMetadata = (key, value, target) => {
    let map = store.get(target)
    if (!map) store.set(target, (map = new Map()))
    map.set(key, value)
  }
}
