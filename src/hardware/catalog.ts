/**
 * The device catalog: the built-in devices (generated from cited sources) plus whatever a user's device file
 * adds or overrides. Immutable: `withOverrides` returns a new catalog. Pure — the caller reads the file.
 */
import { UsageError } from '../core/errors.js';
import { CATALOG_DEVICES } from './catalog-data.js';
import { closest } from '../core/closest.js';
import { blankDevice, defaultWeightsInSramOnly, deviceFromBase, mergeDevice, missingForNewDevice } from './merge.js';
import { parseDeviceFile } from './schema.js';
import type { Device } from './types.js';

let builtinCatalog: Catalog | undefined;

export class Catalog {
  private constructor(
    private readonly devices: readonly Device[],
    /** Lowercase id or alias -> device. */
    private readonly byName: ReadonlyMap<string, Device>,
  ) {}

  /** The generated built-in catalog (see docs/hardware.md). */
  static builtin(): Catalog {
    builtinCatalog ??= Catalog.of(CATALOG_DEVICES, 'built-in catalog');
    return builtinCatalog;
  }

  /** A catalog of these devices; ids and aliases must be unique (`where` names the origin in the error). */
  static of(devices: readonly Device[], where: string): Catalog {
    const byName = new Map<string, Device>();
    for (const d of devices) {
      for (const name of [d.id, ...d.aliases]) {
        const key = name.toLowerCase();
        const owner = byName.get(key);
        if (owner && owner !== d) {
          const hint = `"${name}" would name both ${owner.id} and ${d.id}.`;
          throw new UsageError(where, name, 'ids and aliases that no other device uses', hint);
        }
        byName.set(key, d);
      }
    }
    return new Catalog(devices, byName);
  }

  /**
   * Adds or overrides devices from a parsed device file `{ devices: [...] }` (see schema.ts). An entry whose id
   * (or alias) is in the catalog is deep-merged onto it; a new id needs `base` or kind, compute and a memory tier.
   * `where` (the file path) becomes the source of every bare number and prefixes every error.
   */
  withOverrides(entries: unknown, where: string): Catalog {
    let catalog: Catalog = this;
    parseDeviceFile(entries, where).forEach((input, i) => {
      const at = `${where}: devices[${i}]`;
      const existing = catalog.find(input.id);
      let device: Device;
      if (existing) {
        if (input.base !== undefined) {
          const accepted = 'no base for an id already in the catalog (its figures are overridden in place)';
          throw new UsageError(`${at}.base`, input.base, accepted, `"${input.id}" is ${existing.id}.`);
        }
        device = mergeDevice(existing, input, where);
      } else if (input.base !== undefined) {
        const base = catalog.find(input.base);
        if (!base) throw catalog.unknown(input.base, `${at}.base`);
        device = mergeDevice(deviceFromBase(base, input), input, where);
      } else {
        const missing = missingForNewDevice(input);
        if (missing.length > 0) {
          const near = closest(input.id, catalog.names());
          throw new UsageError(
            at,
            input.id,
            'an id already in the catalog (to override it), or a new device with kind, a flopsPerS figure and a ' +
              'memory tier with capacityBytes and bandwidthBytesPerS, or base: <catalog id> to start from a copy',
            `"${input.id}" is not in the catalog (closest: ${catalog.idOf(near.name)}), and it lacks ${missing.join('; ')}.`,
          );
        }
        const merged = mergeDevice(blankDevice(input, where), input, where);
        const sramOnly = input.weightsInSramOnly ?? defaultWeightsInSramOnly(merged);
        device = { ...merged, weightsInSramOnly: sramOnly };
      }
      const devices = existing ? catalog.devices.map((d) => (d === existing ? device : d)) : [...catalog.devices, device];
      catalog = Catalog.of(devices, at);
    });
    return catalog;
  }

  /** The device with this id or alias (case-insensitive); a UsageError listing the ids if there is none. */
  get(idOrAlias: string, where = 'device'): Device {
    const d = this.find(idOrAlias);
    if (!d) throw this.unknown(idOrAlias, where);
    return d;
  }

  has(idOrAlias: string): boolean {
    return this.find(idOrAlias) !== undefined;
  }

  list(): readonly Device[] {
    return this.devices;
  }

  ids(): readonly string[] {
    return this.devices.map((d) => d.id);
  }

  private find(idOrAlias: string): Device | undefined {
    const key = idOrAlias.trim().toLowerCase();
    // Forgive separator style: "h100 sxm", "tpu_v6e" and "tpu-v6e" all find a device named either way.
    return this.byName.get(key) ?? this.byName.get(key.replace(/[_\s]+/g, '-')) ?? this.byName.get(key.replace(/[-\s]+/g, '_'));
  }

  private names(): string[] {
    return [...this.byName.keys()];
  }

  private idOf(name: string): string {
    return this.byName.get(name)?.id ?? name;
  }

  private unknown(value: string, where: string): UsageError {
    const near = closest(value.trim().toLowerCase(), this.names());
    const id = this.idOf(near.name);
    const via = near.name === id ? '' : ` (alias ${near.name})`;
    return new UsageError(
      where,
      value,
      `a device id or alias: ${this.ids().join(', ')}`,
      `Did you mean ${id}${via}? \`phasewise list hardware\` shows names and aliases.`,
    );
  }
}
