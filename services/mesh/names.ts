/**
 * The forms of the names the mesh passes around: services are `pkg.Service`
 * and methods `/pkg.Service/Method`, as in protobuf and in gRPC paths.
 */

const IDENTIFIER = '[A-Za-z_][A-Za-z0-9_]*';
const SERVICE_NAME = new RegExp(`^${IDENTIFIER}(\\.${IDENTIFIER})+$`);
const METHOD_NAME = new RegExp(
  `^/(${IDENTIFIER}(?:\\.${IDENTIFIER})+)/(${IDENTIFIER})$`,
);

/** Tells whether `name` is a service name of the form `pkg.Service`. */
export function isServiceName(name: string): boolean {
  return SERVICE_NAME.test(name);
}

/**
 * Splits a method name of the form `/pkg.Service/Method` into its service
 * and method parts; undefined when `name` is not of that form.
 */
export function parseMethodName(
  name: string,
): { service: string; method: string } | undefined {
  const match = METHOD_NAME.exec(name);
  if (!match) return undefined;
  return { service: match[1], method: match[2] };
}

/**
 * The service part of a method path that gRPC has already routed, cheaply:
 * `pkg.Service` of `/pkg.Service/Method`. Unlike parseMethodName, it does
 * not check the form.
 */
export function serviceOfPath(path: string): string {
  return path.split('/')[1] ?? path;
}
