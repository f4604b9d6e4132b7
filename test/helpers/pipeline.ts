/** A call pipeline serving `api`, for tests that drive a protocol adapter without serve(). */
import { Dispatcher } from "../../src/core/dispatcher.js";
import { CallPipeline, type Interceptor } from "../../src/core/pipeline.js";
import type { CallLog } from "../../src/core/call-log.js";
import { silentLogger, type Logger } from "../../src/core/logger.js";



export function pipelineFor(api: object, options: { use?: Interceptor[]; callLog?: CallLog; logger?: Logger } = {}): CallPipeline {
  return new CallPipeline({ dispatcher: new Dispatcher(api), logger: silentLogger, ...options });
}
