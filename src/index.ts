// Library entry: embed the bridge, or reuse its codecs and TS-0009 mapping.
export { createBridge } from './bridge/bridge.js';
export type { Bridge, BridgeAddresses, BridgeDependencies } from './bridge/bridge.js';
export { configWith, loadConfig, ConfigError } from './config/config.js';
export type { BridgeConfig } from './config/config.js';
export { codecFor, contentCodecFor } from './primitive/codecs.js';
export * from './primitive/types.js';
export { BridgeError, PrimitiveDecodeError } from './errors.js';
export { VERSION } from './version.js';
