import type { ContractSpec, ContractHandlers, HandlerContext, MethodSpec } from '../contract/define';
import { AppError } from '../contract/errors';
import { isRpcMessage, type Protocol } from './protocol';

/**
 * Serves a contract over one protocol: validates each call's input with the method's schema, runs
 * its handler with an AbortSignal that a `cancel` message trips, and sends back progress, then a
 * result or an error as {code, message, details}. Returns a function that stops serving and aborts
 * calls still running (for a closed window or socket).
 */
export function serveContract<C extends ContractSpec>(
  protocol: Protocol,
  contract: C,
  handlers: Partial<ContractHandlers<C>>,
  options: {
    /** Told of every error that is not one of ours (an INTERNAL error: a bug), with its stack, before it becomes a sentence. */
    onInternalError?: (method: string, error: unknown) => void;
  } = {},
): () => void {
  const running = new Map<number, AbortController>();

  const unsubscribe = protocol.onMessage((raw) => {
    if (!isRpcMessage(raw)) return;
    if (raw.type === 'cancel') {
      running.get(raw.id)?.abort();
      return;
    }
    if (raw.type !== 'call') return;
    const { id, method, input } = raw;
    const controller = new AbortController();
    running.set(id, controller);
    void invoke(contract, handlers, method, input, {
      signal: controller.signal,
      progress: (progress) => {
        if (!controller.signal.aborted) protocol.send({ type: 'progress', id, progress });
      },
    })
      .then(
        (output) => protocol.send({ type: 'result', id, output }),
        (error: unknown) => {
          const appError = AppError.from(error);
          if (appError.code === 'INTERNAL') options.onInternalError?.(method, error);
          protocol.send({ type: 'error', id, error: appError.toJSON() });
        },
      )
      .catch((error: unknown) => {
        // The answer could not be sent (it could not be serialised, or the other side went away):
        // try to say so, so the caller is not left waiting.
        try {
          protocol.send({
            type: 'error',
            id,
            error: new AppError('INTERNAL', `The answer to ${method} could not be sent: ${AppError.from(error).message}`).toJSON(),
          });
        } catch {
          // Nobody is listening any more.
        }
      })
      .finally(() => running.delete(id));
  });

  return () => {
    unsubscribe();
    for (const controller of running.values()) controller.abort();
    running.clear();
  };
}

async function invoke<C extends ContractSpec>(
  contract: C,
  handlers: Partial<ContractHandlers<C>>,
  qualifiedName: string,
  input: unknown,
  context: HandlerContext,
): Promise<unknown> {
  const dot = qualifiedName.indexOf('.');
  const serviceName = qualifiedName.slice(0, dot);
  const methodName = qualifiedName.slice(dot + 1);
  // Own properties only: "app.toString" or "__proto__.x" name no method.
  const own = (object: object | undefined, key: string): boolean => object !== undefined && Object.hasOwn(object, key);
  const spec = own(contract, serviceName) && own(contract[serviceName], methodName) ? contract[serviceName]![methodName] : undefined;
  const service = (own(handlers, serviceName) ? handlers[serviceName] : undefined) as Record<string, unknown> | undefined;
  const handler = service?.[methodName];
  if (dot < 0 || spec === undefined) {
    throw new AppError('NOT_FOUND', `There is no method "${qualifiedName}".`);
  }
  if (typeof handler !== 'function') {
    throw new AppError('UNSUPPORTED', `"${qualifiedName}" is not available here.`);
  }
  return (handler as (input: unknown, context: HandlerContext) => Promise<unknown>).call(
    service,
    parseInput(qualifiedName, spec, input),
    context,
  );
}

/** A method's input parsed by its schema, or INVALID_INPUT naming the field. */
export function parseInput(qualifiedName: string, spec: MethodSpec, input: unknown): unknown {
  const parsed = spec.input.safeParse(input ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    throw new AppError('INVALID_INPUT', `Invalid input for ${qualifiedName}${where}: ${issue?.message ?? 'invalid'}.`, {
      issues: parsed.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })),
    });
  }
  return parsed.data;
}
