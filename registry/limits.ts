/**
 * The bounds the registry puts on what it accepts. Every bound is checked
 * before anything is written, so a request past one changes nothing.
 */
export interface RegistryLimits {
  /** Services one instance may announce. Default 64. */
  maxServices: number;
  /** Methods one announced service may have. Default 512. */
  maxMethodsPerService: number;
  /** Characters of a service or method name. Default 256. */
  maxNameLength: number;
  /** Characters of an instance id. Default 128. */
  maxInstanceIdLength: number;
  /** Labels one instance may carry. Default 64. */
  maxLabels: number;
  /** Characters of a label key. Default 63. */
  maxLabelKeyLength: number;
  /** Characters of a label value. Default 256. */
  maxLabelValueLength: number;
  /** The largest weight an instance may ask for. Default 10,000. */
  maxWeight: number;
  /** File descriptors one announcement may carry. Default 512. */
  maxFileDescriptors: number;
  /** Bytes of one received message. Default 4 MiB. */
  maxMessageBytes: number;
  /**
   * Watch messages the registry holds for a watcher that does not read
   * them; past it the watch ends with RESOURCE_EXHAUSTED and the watcher
   * resumes from its last revision. Default 10,000.
   */
  maxWatchBacklog: number;
}

/** The limits in force when none are given. */
export const DEFAULT_LIMITS: Readonly<RegistryLimits> = Object.freeze({
  maxServices: 64,
  maxMethodsPerService: 512,
  maxNameLength: 256,
  maxInstanceIdLength: 128,
  maxLabels: 64,
  maxLabelKeyLength: 63,
  maxLabelValueLength: 256,
  maxWeight: 10_000,
  maxFileDescriptors: 512,
  maxMessageBytes: 4 * 1024 * 1024,
  maxWatchBacklog: 10_000,
});
