/** The Python type marks live in the core now, where the codecs carry them too. */
export { dequeOf, FixedOffset, isTuple, markPython, PYTHON_TYPE, pythonTypeOf, Timedelta, tuple } from "../../core/python-types.js";
export type { PythonTypeMark } from "../../core/python-types.js";
