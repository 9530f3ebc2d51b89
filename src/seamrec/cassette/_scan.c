/* seamrec.cassette._scan: a cassette body's lists read by the bytes of their items, in C.
 *
 * The twin of the per-item loops of `store._fast_body` and `lazycalls.read_lazy_calls`
 * (the reference), which ask msgpack's Unpacker for each field (`tell`, `skip`, `unpack`:
 * a Python method call each, a dozen per kept call). Here one call walks the msgpack
 * bytes of a whole list. Anything the reference would not read the plain way (bytes that
 * are not msgpack, truncation, a str that is not UTF-8, a field of another type, a shape
 * reference outside the table, a kept call that is not a list of 8) gives back None: the
 * caller runs the reference, which reads it or says what is wrong. A payload's bytes
 * are taken as good only where msgpack surely reads them and every ext value in them was
 * decoded before in the run (`good_payload`); any other payload whose bytes are not known
 * good is handed back as pending, for the caller to check as the reference does.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#include <structmember.h>

typedef struct {
    const unsigned char *p;
    const unsigned char *end;
} Reader;

static int
take(Reader *r, Py_ssize_t n, const unsigned char **at)
{
    if (n < 0 || r->end - r->p < n)
        return -1;
    *at = r->p;
    r->p += n;
    return 0;
}

static uint64_t
big_endian(const unsigned char *at, int n)
{
    uint64_t value = 0;
    for (int i = 0; i < n; i++)
        value = (value << 8) | at[i];
    return value;
}

/* the length of a sized item whose length takes `n` (1, 2 or 4) bytes; -1 when
 * truncated (the caller compares it with the bytes left) */
static Py_ssize_t
length(Reader *r, int n)
{
    const unsigned char *at;
    if (take(r, n, &at) < 0)
        return -1;
    uint64_t value = big_endian(at, n);
    return value > (uint64_t)PY_SSIZE_T_MAX ? -1 : (Py_ssize_t)value;
}

/* Step over one msgpack object (any depth, without recursion); -1 if malformed. */
static int
skip_object(Reader *r)
{
    Py_ssize_t remaining = 1;
    while (remaining > 0) {
        if (r->p >= r->end)
            return -1;
        unsigned char b = *r->p++;
        remaining--;
        Py_ssize_t skip = 0, items = 0;
        if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
            continue;
        if ((b & 0xf0) == 0x80)
            items = 2 * (Py_ssize_t)(b & 0x0f);
        else if ((b & 0xf0) == 0x90)
            items = b & 0x0f;
        else if ((b & 0xe0) == 0xa0)
            skip = b & 0x1f;
        else {
            switch (b) {
            case 0xc4: case 0xd9: skip = length(r, 1); break;
            case 0xc5: case 0xda: skip = length(r, 2); break;
            case 0xc6: case 0xdb: skip = length(r, 4); break;
            case 0xc7: skip = length(r, 1); skip = skip < 0 ? -1 : skip + 1; break;
            case 0xc8: skip = length(r, 2); skip = skip < 0 ? -1 : skip + 1; break;
            case 0xc9: skip = length(r, 4); skip = skip < 0 ? -1 : skip + 1; break;
            case 0xca: skip = 4; break;
            case 0xcb: skip = 8; break;
            case 0xcc: case 0xd0: skip = 1; break;
            case 0xcd: case 0xd1: skip = 2; break;
            case 0xce: case 0xd2: skip = 4; break;
            case 0xcf: case 0xd3: skip = 8; break;
            case 0xd4: skip = 2; break;
            case 0xd5: skip = 3; break;
            case 0xd6: skip = 5; break;
            case 0xd7: skip = 9; break;
            case 0xd8: skip = 17; break;
            case 0xdc: items = length(r, 2); break;
            case 0xdd: items = length(r, 4); break;
            case 0xde: items = length(r, 2); items = items < 0 ? -1 : 2 * items; break;
            case 0xdf: items = length(r, 4); items = items < 0 ? -1 : 2 * items; break;
            default: return -1; /* 0xc1: never used */
            }
        }
        if (skip < 0 || items < 0 || skip > r->end - r->p || items > r->end - r->p)
            return -1; /* every item takes a byte at least */
        r->p += skip;
        remaining += items;
    }
    return 0;
}

/* The size of the container at the reader whose fix form's high nibble is `fix` and
 * whose 16- and 32-bit forms are `wide16` and `wide32`; -1 if it is something else. */
static Py_ssize_t
container_header(Reader *r, unsigned char fix, unsigned char wide16, unsigned char wide32)
{
    if (r->p >= r->end)
        return -1;
    unsigned char b = *r->p++;
    if ((b & 0xf0) == fix)
        return b & 0x0f;
    if (b == wide16)
        return length(r, 2);
    if (b == wide32)
        return length(r, 4);
    return -1;
}

/* The length of the array at the reader; -1 if it is not an array. */
static Py_ssize_t
array_header(Reader *r)
{
    return container_header(r, 0x90, 0xdc, 0xdd);
}

/* The str at the reader (a new reference), NULL with no error set if it is not a
 * UTF-8 str. */
static PyObject *
read_str(Reader *r)
{
    if (r->p >= r->end)
        return NULL;
    unsigned char b = *r->p++;
    Py_ssize_t n;
    if ((b & 0xe0) == 0xa0)
        n = b & 0x1f;
    else if (b == 0xd9)
        n = length(r, 1);
    else if (b == 0xda)
        n = length(r, 2);
    else if (b == 0xdb)
        n = length(r, 4);
    else
        return NULL;
    const unsigned char *at;
    if (n < 0 || take(r, n, &at) < 0)
        return NULL;
    PyObject *text = PyUnicode_DecodeUTF8((const char *)at, n, NULL);
    if (text == NULL)
        PyErr_Clear();
    return text;
}

/* The last str read for one field by `read_str_again`: its msgpack bytes (in the data
 * being read, alive through the call) and the str they gave (a reference it holds;
 * `forget` drops it). */
typedef struct {
    const unsigned char *at;
    Py_ssize_t n;
    PyObject *text;
} LastStr;

/* `read_str`, but a str whose msgpack bytes equal the last ones read for the same field
 * is the same str (a new reference), not decoded again: the kept calls of a cassette
 * repeat a few seams, callers and outcomes. */
static PyObject *
read_str_again(Reader *r, LastStr *last)
{
    const unsigned char *first = r->p;
    Py_ssize_t left = r->end - first;
    if (last->text != NULL && last->n <= left && memcmp(first, last->at, last->n) == 0) {
        r->p += last->n;
        Py_INCREF(last->text);
        return last->text;
    }
    PyObject *text = read_str(r);
    if (text != NULL) {
        Py_INCREF(text);
        Py_XDECREF(last->text);
        last->text = text;
        last->at = first;
        last->n = r->p - first;
    }
    return text;
}

static void
forget(LastStr *last)
{
    Py_CLEAR(last->text);
}

/* The int at the reader: 0 and `*value` set, or -1 if it is not an int or does not fit
 * 64 signed bits (then the reference decides). */
static int
read_int(Reader *r, int64_t *value)
{
    if (r->p >= r->end)
        return -1;
    unsigned char b = *r->p++;
    const unsigned char *at;
    if (b <= 0x7f) {
        *value = b;
        return 0;
    }
    if (b >= 0xe0) {
        *value = (int8_t)b;
        return 0;
    }
    int n;
    int is_signed;
    switch (b) {
    case 0xcc: n = 1; is_signed = 0; break;
    case 0xcd: n = 2; is_signed = 0; break;
    case 0xce: n = 4; is_signed = 0; break;
    case 0xcf: n = 8; is_signed = 0; break;
    case 0xd0: n = 1; is_signed = 1; break;
    case 0xd1: n = 2; is_signed = 1; break;
    case 0xd2: n = 4; is_signed = 1; break;
    case 0xd3: n = 8; is_signed = 1; break;
    default: return -1;
    }
    if (take(r, n, &at) < 0)
        return -1;
    uint64_t raw = big_endian(at, n);
    if (!is_signed) {
        if (raw > (uint64_t)INT64_MAX)
            return -1;
        *value = (int64_t)raw;
        return 0;
    }
    if (n == 1)
        *value = (int8_t)raw;
    else if (n == 2)
        *value = (int16_t)raw;
    else if (n == 4)
        *value = (int32_t)raw;
    else
        *value = (int64_t)raw;
    return 0;
}

static int
reader_at(PyObject *data, Py_ssize_t start, Reader *r)
{
    Py_ssize_t size = PyBytes_GET_SIZE(data);
    if (start < 0 || start > size)
        return -1;
    const unsigned char *base = (const unsigned char *)PyBytes_AS_STRING(data);
    r->p = base + start;
    r->end = base + size;
    return 0;
}

static PyObject *
slice(const unsigned char *from, const unsigned char *to)
{
    return PyBytes_FromStringAndSize((const char *)from, to - from);
}

/* item_spans(data, start) -> ([bytes of each item], end) | None */
static PyObject *
item_spans(PyObject *self, PyObject *args)
{
    PyObject *data;
    Py_ssize_t start;
    if (!PyArg_ParseTuple(args, "O!n", &PyBytes_Type, &data, &start))
        return NULL;
    Reader r;
    if (reader_at(data, start, &r) < 0)
        Py_RETURN_NONE;
    Py_ssize_t count = array_header(&r);
    if (count < 0 || count > r.end - r.p)
        Py_RETURN_NONE;
    PyObject *items = PyList_New(count);
    if (items == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < count; i++) {
        const unsigned char *from = r.p;
        if (skip_object(&r) < 0) {
            Py_DECREF(items);
            Py_RETURN_NONE;
        }
        PyObject *raw = slice(from, r.p);
        if (raw == NULL) {
            Py_DECREF(items);
            return NULL;
        }
        PyList_SET_ITEM(items, i, raw);
    }
    const unsigned char *base = (const unsigned char *)PyBytes_AS_STRING(data);
    return Py_BuildValue("(Nn)", items, (Py_ssize_t)(r.p - base));
}

/* ---- payloads known good without msgpack's reading (a check run's new payloads) ---- */

#define GOOD_MAX_DEPTH 200 /* deeper payloads are checked the reference way */

static int good_object(Reader *r, PyObject *decoded, int depth, int as_key);

/* A str of `n` bytes at the reader that msgpack (raw=False) decodes: 1, else 0. */
static int
good_str(Reader *r, Py_ssize_t n)
{
    const unsigned char *at;
    if (take(r, n, &at) < 0)
        return 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (at[i] >= 0x80) { /* not ASCII: Python's strict UTF-8 decoder decides */
            PyObject *text = PyUnicode_DecodeUTF8((const char *)at, n, NULL);
            if (text == NULL) {
                PyErr_Clear();
                return 0;
            }
            Py_DECREF(text);
            return 1;
        }
    }
    return 1;
}

/* An ext value of `n` data bytes with `code` at the reader that the body's ext hook
 * takes without decoding it: a code msgpack's ExtType takes, with (code, data) decoded
 * before in the run (in `decoded`, `store._DECODED`). 1, 0, or -1 on error. */
static int
good_ext(Reader *r, Py_ssize_t n, PyObject *decoded)
{
    const unsigned char *at;
    if (take(r, 1, &at) < 0)
        return 0;
    int code = (signed char)at[0];
    if (code < 0 || take(r, n, &at) < 0)
        return 0;
    PyObject *key = Py_BuildValue("(iy#)", code, (const char *)at, n);
    if (key == NULL)
        return -1;
    int found = PyDict_Contains(decoded, key);
    Py_DECREF(key);
    return found;
}

/* `count` objects (`pairs`: key, value pairs) at the reader: 1, 0, or -1 on error. */
static int
good_items(Reader *r, PyObject *decoded, Py_ssize_t count, int depth, int pairs)
{
    if (count < 0 || count > r->end - r->p)
        return 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        int good;
        if (pairs && (good = good_object(r, decoded, depth + 1, 1)) <= 0)
            return good;
        if ((good = good_object(r, decoded, depth + 1, 0)) <= 0)
            return good;
    }
    return 1;
}

/* Whether msgpack.unpackb(raw=False, strict_map_key=False) with the body's ext hook
 * reads the object at the reader without an error and without decoding an ext value
 * not decoded before (`as_key`: a map's key, which must be hashable): 1 when it surely
 * does, 0 where the reference must decide (it may well read it), -1 on error. Every
 * type msgpack reads as it is is taken; a str must be UTF-8, a key a scalar or a str,
 * an ext value known (see `good_ext`); deeper than GOOD_MAX_DEPTH is left to the
 * reference. */
static int
good_object(Reader *r, PyObject *decoded, int depth, int as_key)
{
    if (depth > GOOD_MAX_DEPTH || r->p >= r->end)
        return 0;
    unsigned char b = *r->p++;
    const unsigned char *at;
    if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
        return 1;
    if ((b & 0xe0) == 0xa0)
        return good_str(r, b & 0x1f);
    if ((b & 0xf0) == 0x90)
        return as_key ? 0 : good_items(r, decoded, b & 0x0f, depth, 0);
    if ((b & 0xf0) == 0x80)
        return as_key ? 0 : good_items(r, decoded, b & 0x0f, depth, 1);
    switch (b) {
    case 0xd9: return good_str(r, length(r, 1));
    case 0xda: return good_str(r, length(r, 2));
    case 0xdb: return good_str(r, length(r, 4));
    case 0xc4: return take(r, length(r, 1), &at) == 0;
    case 0xc5: return take(r, length(r, 2), &at) == 0;
    case 0xc6: return take(r, length(r, 4), &at) == 0;
    case 0xca: case 0xce: case 0xd2: return take(r, 4, &at) == 0;
    case 0xcb: case 0xcf: case 0xd3: return take(r, 8, &at) == 0;
    case 0xcc: case 0xd0: return take(r, 1, &at) == 0;
    case 0xcd: case 0xd1: return take(r, 2, &at) == 0;
    case 0xdc: return as_key ? 0 : good_items(r, decoded, length(r, 2), depth, 0);
    case 0xdd: return as_key ? 0 : good_items(r, decoded, length(r, 4), depth, 0);
    case 0xde: return as_key ? 0 : good_items(r, decoded, length(r, 2), depth, 1);
    case 0xdf: return as_key ? 0 : good_items(r, decoded, length(r, 4), depth, 1);
    }
    if (as_key)
        return 0;
    switch (b) {
    case 0xd4: return good_ext(r, 1, decoded);
    case 0xd5: return good_ext(r, 2, decoded);
    case 0xd6: return good_ext(r, 4, decoded);
    case 0xd7: return good_ext(r, 8, decoded);
    case 0xd8: return good_ext(r, 16, decoded);
    case 0xc7: return good_ext(r, length(r, 1), decoded);
    case 0xc8: return good_ext(r, length(r, 2), decoded);
    case 0xc9: return good_ext(r, length(r, 4), decoded);
    }
    return 0; /* 0xc1: never used */
}

/* Whether the payload bytes [from, to) are known good (see `good_object`): 1, 0, -1. */
static int
good_payload(const unsigned char *from, const unsigned char *to, PyObject *decoded)
{
    Reader r = {from, to};
    int good = good_object(&r, decoded, 0, 0);
    return good <= 0 ? good : r.p == to;
}

static PyObject *str_seam, *str_caller, *str_index, *str_args_shape, *str_outcome,
    *str_result_shape, *str_shared, *str_raw_args, *str_raw_result, *str_result, *str_count;
static PyObject *empty_tuple;

/* lazy_calls(data, start, shapes, outcomes, call_type, shared, valid, shared_trees, decoded)
 *   -> (calls, pending, end, scanned) | None
 * The kept calls of a body whose array starts at `start`, as `lazycalls.read_lazy_calls`
 * makes them (each a `call_type` instance whose fields are in its __dict__): a payload's
 * bytes known good (in `valid`, or read surely by msgpack with each ext value in
 * `decoded` (`good_payload`); a result in `shared_trees` when `shared`, given as that
 * tree) are set; any other payload is left unset and listed in `pending` as
 * (the call's __dict__, 0 for args or 1 for the result, its bytes), in order; `scanned`
 * lists the bytes taken by `good_payload` (for the caller to note as known good). */
static PyObject *
lazy_calls(PyObject *self, PyObject *args)
{
    PyObject *data, *shapes, *outcomes, *call_type, *valid, *shared_trees, *decoded;
    Py_ssize_t start;
    int shared;
    if (!PyArg_ParseTuple(args, "O!nO!OO!pO!O!O!", &PyBytes_Type, &data, &start, &PyList_Type,
                          &shapes, &outcomes, &PyType_Type, &call_type, &shared, &PyDict_Type,
                          &valid, &PyDict_Type, &shared_trees, &PyDict_Type, &decoded))
        return NULL;
    Reader r;
    if (reader_at(data, start, &r) < 0)
        Py_RETURN_NONE;
    Py_ssize_t count = array_header(&r);
    if (count < 0 || count > r.end - r.p)
        Py_RETURN_NONE;
    Py_ssize_t table = PyList_GET_SIZE(shapes);
    PyObject *calls = PyList_New(0);
    PyObject *pending = PyList_New(0);
    PyObject *scanned = PyList_New(0); /* the bytes `good_payload` took */
    PyObject *seam = NULL, *caller = NULL, *index = NULL, *outcome = NULL, *call = NULL;
    PyObject *raw_args = NULL, *raw_result = NULL;
    LastStr last_seam = {NULL, 0, NULL}, last_caller = {NULL, 0, NULL},
            last_outcome = {NULL, 0, NULL};
    if (calls == NULL || pending == NULL || scanned == NULL)
        goto error;
    for (Py_ssize_t i = 0; i < count; i++) {
        int64_t at, args_ref, result_ref;
        if (array_header(&r) != 8)
            goto plain_none;
        if ((seam = read_str_again(&r, &last_seam)) == NULL ||
            (caller = read_str_again(&r, &last_caller)) == NULL)
            goto none;
        if (read_int(&r, &at) < 0 || read_int(&r, &args_ref) < 0)
            goto none;
        if (args_ref < 0 || args_ref >= table)
            goto none;
        if ((outcome = read_str_again(&r, &last_outcome)) == NULL)
            goto none;
        int known = PySequence_Contains(outcomes, outcome);
        if (known < 0)
            goto error;
        if (!known)
            goto none;
        if (read_int(&r, &result_ref) < 0 || result_ref < 0 || result_ref >= table)
            goto none;
        const unsigned char *from = r.p;
        if (skip_object(&r) < 0)
            goto none;
        const unsigned char *middle = r.p;
        if (skip_object(&r) < 0)
            goto none;
        if ((index = PyLong_FromLongLong(at)) == NULL)
            goto error;
        if ((raw_args = slice(from, middle)) == NULL ||
            (raw_result = slice(middle, r.p)) == NULL)
            goto error;
        call = PyBaseObject_Type.tp_new((PyTypeObject *)call_type, empty_tuple, NULL);
        if (call == NULL)
            goto error;
        PyObject *held = PyObject_GenericGetDict(call, NULL);
        if (held == NULL)
            goto error;
        Py_DECREF(held); /* the call holds it */
        if (PyDict_SetItem(held, str_seam, seam) < 0 ||
            PyDict_SetItem(held, str_caller, caller) < 0 ||
            PyDict_SetItem(held, str_index, index) < 0 ||
            PyDict_SetItem(held, str_args_shape, PyList_GET_ITEM(shapes, args_ref)) < 0 ||
            PyDict_SetItem(held, str_outcome, outcome) < 0 ||
            PyDict_SetItem(held, str_result_shape, PyList_GET_ITEM(shapes, result_ref)) < 0 ||
            PyDict_SetItem(held, str_shared, shared ? Py_True : Py_False) < 0)
            goto error;
        int good = PyDict_Contains(valid, raw_args);
        if (good == 0 && (good = good_payload(from, middle, decoded)) > 0 &&
            PyList_Append(scanned, raw_args) < 0)
            goto error;
        if (good < 0)
            goto error;
        if (good) {
            if (PyDict_SetItem(held, str_raw_args, raw_args) < 0)
                goto error;
        }
        else {
            PyObject *item = Py_BuildValue("(OiO)", held, 0, raw_args);
            if (item == NULL || PyList_Append(pending, item) < 0) {
                Py_XDECREF(item);
                goto error;
            }
            Py_DECREF(item);
        }
        PyObject *tree = shared ? PyDict_GetItemWithError(shared_trees, raw_result) : NULL;
        if (tree == NULL && PyErr_Occurred())
            goto error;
        if (tree != NULL) {
            if (PyDict_SetItem(held, str_result, tree) < 0)
                goto error;
        }
        else {
            good = PyDict_Contains(valid, raw_result);
            /* (a shared result's tree is kept: the caller reads it) */
            if (good == 0 && !shared && (good = good_payload(middle, r.p, decoded)) > 0 &&
                PyList_Append(scanned, raw_result) < 0)
                goto error;
            if (good < 0)
                goto error;
            if (good) {
                if (PyDict_SetItem(held, str_raw_result, raw_result) < 0)
                    goto error;
            }
            else {
                PyObject *item = Py_BuildValue("(OiO)", held, 1, raw_result);
                if (item == NULL || PyList_Append(pending, item) < 0) {
                    Py_XDECREF(item);
                    goto error;
                }
                Py_DECREF(item);
            }
        }
        if (PyList_Append(calls, call) < 0)
            goto error;
        Py_CLEAR(seam);
        Py_CLEAR(caller);
        Py_CLEAR(index);
        Py_CLEAR(outcome);
        Py_CLEAR(call);
        Py_CLEAR(raw_args);
        Py_CLEAR(raw_result);
    }
    forget(&last_seam);
    forget(&last_caller);
    forget(&last_outcome);
    const unsigned char *base = (const unsigned char *)PyBytes_AS_STRING(data);
    return Py_BuildValue("(NNnN)", calls, pending, (Py_ssize_t)(r.p - base), scanned);
none:
plain_none:
    forget(&last_seam);
    forget(&last_caller);
    forget(&last_outcome);
    Py_XDECREF(seam);
    Py_XDECREF(caller);
    Py_XDECREF(index);
    Py_XDECREF(outcome);
    Py_XDECREF(call);
    Py_XDECREF(raw_args);
    Py_XDECREF(raw_result);
    Py_XDECREF(calls);
    Py_XDECREF(pending);
    Py_XDECREF(scanned);
    Py_RETURN_NONE;
error:
    Py_XDECREF(seam);
    Py_XDECREF(caller);
    Py_XDECREF(index);
    Py_XDECREF(outcome);
    Py_XDECREF(call);
    Py_XDECREF(raw_args);
    Py_XDECREF(raw_result);
    Py_XDECREF(calls);
    Py_XDECREF(pending);
    Py_XDECREF(scanned);
    forget(&last_seam);
    forget(&last_caller);
    forget(&last_outcome);
    return NULL;
}

/* An exact int's value: 0 and `*value` set, or -1 (no error set) if `item` is not an
 * exact int that fits 64 signed bits. */
static int
exact_int(PyObject *item, int64_t *value)
{
    if (!PyLong_CheckExact(item))
        return -1;
    int overflow;
    long long found = PyLong_AsLongLongAndOverflow(item, &overflow);
    if (overflow || (found == -1 && PyErr_Occurred())) {
        PyErr_Clear();
        return -1;
    }
    *value = found;
    return 0;
}

/* Where instances of `type` hold field `name`: the offset of its object slot, -1 (no
 * error set) when it has none. */
static Py_ssize_t
slot_offset(PyObject *type, PyObject *name)
{
    PyObject *descr = PyDict_GetItemWithError(((PyTypeObject *)type)->tp_dict, name);
    if (descr == NULL || !Py_IS_TYPE(descr, &PyMemberDescr_Type) ||
        ((PyMemberDescrObject *)descr)->d_member->type != T_OBJECT_EX) {
        PyErr_Clear();
        return -1;
    }
    return ((PyMemberDescrObject *)descr)->d_member->offset;
}

/* runs_of(runs, shapes, outcomes, run_type) -> {seam: [run_type, ...]} | None
 * A body's `runs` as `store._valid_runs` makes them, seam by seam (each a `run_type`:
 * a slotted class of the fields args_shape, outcome, result_shape, count, made without
 * its __init__); None where the reference must decide (anything not plainly valid). */
static PyObject *
runs_of(PyObject *self, PyObject *args)
{
    PyObject *runs, *shapes, *outcomes, *run_type;
    if (!PyArg_ParseTuple(args, "OO!OO!", &runs, &PyList_Type, &shapes, &outcomes, &PyType_Type,
                          &run_type))
        return NULL;
    if (!PyDict_CheckExact(runs))
        Py_RETURN_NONE;
    Py_ssize_t offsets[4];
    PyObject *names[4] = {str_args_shape, str_outcome, str_result_shape, str_count};
    for (int i = 0; i < 4; i++)
        if ((offsets[i] = slot_offset(run_type, names[i])) < 0)
            Py_RETURN_NONE;
    PyTypeObject *type = (PyTypeObject *)run_type;
    Py_ssize_t table = PyList_GET_SIZE(shapes);
    PyObject *found = PyDict_New();
    if (found == NULL)
        return NULL;
    PyObject *seam, *entries;
    Py_ssize_t at = 0;
    while (PyDict_Next(runs, &at, &seam, &entries)) {
        if (!PyUnicode_CheckExact(seam) || !PyList_CheckExact(entries))
            goto none;
        Py_ssize_t count = PyList_GET_SIZE(entries);
        PyObject *list = PyList_New(count);
        if (list == NULL)
            goto error;
        if (PyDict_SetItem(found, seam, list) < 0) {
            Py_DECREF(list);
            goto error;
        }
        Py_DECREF(list); /* held by `found` */
        for (Py_ssize_t i = 0; i < count; i++) {
            PyObject *entry = PyList_GET_ITEM(entries, i);
            if (!PyList_CheckExact(entry) || PyList_GET_SIZE(entry) != 4)
                goto none;
            int64_t args_ref, result_ref, calls;
            PyObject *outcome = PyList_GET_ITEM(entry, 1);
            if (exact_int(PyList_GET_ITEM(entry, 0), &args_ref) < 0 || args_ref < 0 ||
                args_ref >= table || !PyUnicode_CheckExact(outcome) ||
                exact_int(PyList_GET_ITEM(entry, 2), &result_ref) < 0 || result_ref < 0 ||
                result_ref >= table || exact_int(PyList_GET_ITEM(entry, 3), &calls) < 0 ||
                calls < 1)
                goto none;
            int known = PySequence_Contains(outcomes, outcome);
            if (known < 0)
                goto error;
            if (!known)
                goto none;
            PyObject *run = type->tp_alloc(type, 0);
            if (run == NULL)
                goto error;
            PyObject *fields[4] = {PyList_GET_ITEM(shapes, args_ref), outcome,
                                   PyList_GET_ITEM(shapes, result_ref),
                                   PyList_GET_ITEM(entry, 3)};
            for (int f = 0; f < 4; f++) {
                Py_INCREF(fields[f]);
                *(PyObject **)((char *)run + offsets[f]) = fields[f];
            }
            PyList_SET_ITEM(list, i, run);
        }
    }
    return found;
none:
    Py_DECREF(found);
    Py_RETURN_NONE;
error:
    Py_DECREF(found);
    return NULL;
}

/* nests_of(nesting, nest_type) -> {seam: [nest_type, ...]} | None
 * A body's `nesting` as `store._valid_nests` makes it (each nest a `nest_type`, a named
 * tuple of parent, first, step, calls, made without its __new__); None where the
 * reference must decide. */
static PyObject *
nests_of(PyObject *self, PyObject *args)
{
    PyObject *nesting, *nest_type;
    if (!PyArg_ParseTuple(args, "OO!", &nesting, &PyType_Type, &nest_type))
        return NULL;
    if (!PyDict_CheckExact(nesting))
        Py_RETURN_NONE;
    PyTypeObject *type = (PyTypeObject *)nest_type;
    if (!PyType_IsSubtype(type, &PyTuple_Type))
        Py_RETURN_NONE;
    PyObject *found = PyDict_New();
    if (found == NULL)
        return NULL;
    PyObject *seam, *entries;
    Py_ssize_t at = 0;
    while (PyDict_Next(nesting, &at, &seam, &entries)) {
        if (!PyUnicode_CheckExact(seam) || !PyList_CheckExact(entries))
            goto none;
        Py_ssize_t count = PyList_GET_SIZE(entries);
        PyObject *list = PyList_New(count);
        if (list == NULL)
            goto error;
        if (PyDict_SetItem(found, seam, list) < 0) {
            Py_DECREF(list);
            goto error;
        }
        Py_DECREF(list);
        for (Py_ssize_t i = 0; i < count; i++) {
            PyObject *entry = PyList_GET_ITEM(entries, i);
            if (!PyList_CheckExact(entry) || PyList_GET_SIZE(entry) != 4)
                goto none;
            int64_t first, step, calls;
            if (!PyUnicode_CheckExact(PyList_GET_ITEM(entry, 0)) ||
                exact_int(PyList_GET_ITEM(entry, 1), &first) < 0 || first < 0 ||
                exact_int(PyList_GET_ITEM(entry, 2), &step) < 0 || (step != 0 && step != 1) ||
                exact_int(PyList_GET_ITEM(entry, 3), &calls) < 0 || calls < 1)
                goto none;
            PyObject *nest = type->tp_alloc(type, 4);
            if (nest == NULL)
                goto error;
            for (int f = 0; f < 4; f++) {
                PyObject *item = PyList_GET_ITEM(entry, f);
                Py_INCREF(item);
                PyTuple_SET_ITEM(nest, f, item);
            }
            PyList_SET_ITEM(list, i, nest);
        }
    }
    return found;
none:
    Py_DECREF(found);
    Py_RETURN_NONE;
error:
    Py_DECREF(found);
    return NULL;
}

/* ---- a body's runs and nesting read from their bytes (no msgpack objects between) ---- */

/* The number of pairs of the map at the reader; -1 if it is not a map. */
static Py_ssize_t
map_header(Reader *r)
{
    return container_header(r, 0x80, 0xde, 0xdf);
}

/* The seam key at the reader, interned as msgpack interns a map's str keys (a new
 * reference); NULL with no error set where the reference must decide (not a UTF-8 str,
 * or a key met before in `found`: msgpack would keep the last). */
static PyObject *
seam_key(Reader *r, PyObject *found)
{
    PyObject *seam = read_str(r);
    if (seam == NULL)
        return NULL;
    PyUnicode_InternInPlace(&seam);
    int seen = PyDict_Contains(found, seam);
    if (seen != 0) {
        Py_DECREF(seam);
        if (seen < 0)
            PyErr_Clear();
        return NULL;
    }
    return seam;
}

/* A 4-item entry's array header at the reader; 0, or -1 if it is something else. */
static int
entry_of_four(Reader *r)
{
    return array_header(r) == 4 ? 0 : -1;
}

/* The next seam of a `{seam: [...]}` map in `r`: its key (read once per text, see
 * `seam_key`) set in `found` to a new list of its entry count, handed back borrowed in
 * `*list` with the count in `*count`. 1 when read; 0 where msgpack's reading could
 * decide otherwise (the caller answers None); -1 on a Python error. */
static int
next_seam_list(Reader *r, PyObject *found, PyObject **list, Py_ssize_t *count)
{
    PyObject *seam = seam_key(r, found);
    if (seam == NULL)
        return PyErr_Occurred() ? -1 : 0;
    Py_ssize_t n = array_header(r);
    if (n < 0 || n > r->end - r->p) {
        Py_DECREF(seam);
        return 0;
    }
    PyObject *made = PyList_New(n);
    if (made == NULL) {
        Py_DECREF(seam);
        return -1;
    }
    int set = PyDict_SetItem(found, seam, made);
    Py_DECREF(seam);
    Py_DECREF(made); /* held by `found` */
    if (set < 0)
        return -1;
    *list = made;
    *count = n;
    return 1;
}

/* runs_at(data, start, shapes, outcomes, run_type) -> ({seam: [run_type, ...]}, end) | None
 * The body's `runs` at `start` as `runs_of` makes them from msgpack's reading of those
 * bytes, and the offset after them; None wherever `runs_of` or msgpack would decide
 * otherwise (not plainly valid, not msgpack, a seam given twice). */
static PyObject *
runs_at(PyObject *self, PyObject *args)
{
    PyObject *data, *shapes, *outcomes, *run_type;
    Py_ssize_t start;
    if (!PyArg_ParseTuple(args, "O!nO!OO!", &PyBytes_Type, &data, &start, &PyList_Type, &shapes,
                          &outcomes, &PyType_Type, &run_type))
        return NULL;
    Reader r;
    if (reader_at(data, start, &r) < 0)
        Py_RETURN_NONE;
    Py_ssize_t offsets[4];
    PyObject *names[4] = {str_args_shape, str_outcome, str_result_shape, str_count};
    for (int i = 0; i < 4; i++)
        if ((offsets[i] = slot_offset(run_type, names[i])) < 0)
            Py_RETURN_NONE;
    PyTypeObject *type = (PyTypeObject *)run_type;
    Py_ssize_t table = PyList_GET_SIZE(shapes);
    Py_ssize_t seams = map_header(&r);
    if (seams < 0 || seams > r.end - r.p)
        Py_RETURN_NONE;
    PyObject *found = PyDict_New();
    if (found == NULL)
        return NULL;
    for (Py_ssize_t s = 0; s < seams; s++) {
        PyObject *list;
        Py_ssize_t count;
        int got = next_seam_list(&r, found, &list, &count);
        if (got < 0)
            goto error;
        if (got == 0)
            goto none;
        for (Py_ssize_t i = 0; i < count; i++) {
            int64_t args_ref, result_ref, calls;
            if (entry_of_four(&r) < 0 || read_int(&r, &args_ref) < 0 || args_ref < 0 ||
                args_ref >= table)
                goto none;
            PyObject *outcome = read_str(&r);
            if (outcome == NULL) {
                if (PyErr_Occurred())
                    goto error;
                goto none;
            }
            int known = PySequence_Contains(outcomes, outcome);
            if (known <= 0 || read_int(&r, &result_ref) < 0 || result_ref < 0 ||
                result_ref >= table || read_int(&r, &calls) < 0 || calls < 1) {
                Py_DECREF(outcome);
                if (known < 0)
                    goto error;
                goto none;
            }
            PyObject *number = PyLong_FromLongLong(calls);
            if (number == NULL) {
                Py_DECREF(outcome);
                goto error;
            }
            PyObject *run = type->tp_alloc(type, 0);
            if (run == NULL) {
                Py_DECREF(outcome);
                Py_DECREF(number);
                goto error;
            }
            PyObject *fields[4] = {PyList_GET_ITEM(shapes, args_ref), outcome,
                                   PyList_GET_ITEM(shapes, result_ref), number};
            Py_INCREF(fields[0]);
            Py_INCREF(fields[2]);
            for (int f = 0; f < 4; f++) /* `outcome` and `number`: their references */
                *(PyObject **)((char *)run + offsets[f]) = fields[f];
            PyList_SET_ITEM(list, i, run);
        }
    }
    const unsigned char *base = (const unsigned char *)PyBytes_AS_STRING(data);
    return Py_BuildValue("(Nn)", found, (Py_ssize_t)(r.p - base));
none:
    Py_DECREF(found);
    Py_RETURN_NONE;
error:
    Py_DECREF(found);
    return NULL;
}

/* nests_at(data, start, nest_type) -> ({seam: [nest_type, ...]}, end) | None
 * The body's `nesting` at `start` as `nests_of` makes it from msgpack's reading of those
 * bytes, and the offset after it; None wherever they would decide otherwise. */
static PyObject *
nests_at(PyObject *self, PyObject *args)
{
    PyObject *data, *nest_type;
    Py_ssize_t start;
    if (!PyArg_ParseTuple(args, "O!nO!", &PyBytes_Type, &data, &start, &PyType_Type, &nest_type))
        return NULL;
    Reader r;
    if (reader_at(data, start, &r) < 0)
        Py_RETURN_NONE;
    PyTypeObject *type = (PyTypeObject *)nest_type;
    if (!PyType_IsSubtype(type, &PyTuple_Type))
        Py_RETURN_NONE;
    Py_ssize_t seams = map_header(&r);
    if (seams < 0 || seams > r.end - r.p)
        Py_RETURN_NONE;
    PyObject *found = PyDict_New();
    if (found == NULL)
        return NULL;
    for (Py_ssize_t s = 0; s < seams; s++) {
        PyObject *list;
        Py_ssize_t count;
        int got = next_seam_list(&r, found, &list, &count);
        if (got < 0)
            goto error;
        if (got == 0)
            goto none;
        for (Py_ssize_t i = 0; i < count; i++) {
            int64_t first, step, calls;
            if (entry_of_four(&r) < 0)
                goto none;
            PyObject *parent = read_str(&r);
            if (parent == NULL) {
                if (PyErr_Occurred())
                    goto error;
                goto none;
            }
            if (read_int(&r, &first) < 0 || first < 0 || read_int(&r, &step) < 0 ||
                (step != 0 && step != 1) || read_int(&r, &calls) < 0 || calls < 1) {
                Py_DECREF(parent);
                goto none;
            }
            PyObject *nest = type->tp_alloc(type, 4);
            if (nest == NULL) {
                Py_DECREF(parent);
                goto error;
            }
            PyList_SET_ITEM(list, i, nest); /* freed with `found` if a field fails */
            PyTuple_SET_ITEM(nest, 0, parent);
            int64_t numbers[3] = {first, step, calls};
            for (int f = 0; f < 3; f++) {
                PyObject *number = PyLong_FromLongLong(numbers[f]);
                if (number == NULL)
                    goto error;
                PyTuple_SET_ITEM(nest, f + 1, number);
            }
        }
    }
    const unsigned char *base = (const unsigned char *)PyBytes_AS_STRING(data);
    return Py_BuildValue("(Nn)", found, (Py_ssize_t)(r.p - base));
none:
    Py_DECREF(found);
    Py_RETURN_NONE;
error:
    Py_DECREF(found);
    return NULL;
}

/* body_fields(data, start) -> [(key, value start, value end), ...] | None
 * The str keys of the map at `start` (the body) with where each value's bytes start
 * and end; None unless the map is well formed, its keys UTF-8 strs and it ends where
 * `data` ends. */
static PyObject *
body_fields(PyObject *self, PyObject *args)
{
    PyObject *data;
    Py_ssize_t start;
    if (!PyArg_ParseTuple(args, "O!n", &PyBytes_Type, &data, &start))
        return NULL;
    Reader r;
    if (reader_at(data, start, &r) < 0)
        Py_RETURN_NONE;
    const unsigned char *base = (const unsigned char *)PyBytes_AS_STRING(data);
    Py_ssize_t count = map_header(&r);
    if (count < 0 || count > r.end - r.p)
        Py_RETURN_NONE;
    PyObject *fields = PyList_New(count);
    if (fields == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *key = read_str(&r);
        if (key == NULL) {
            Py_DECREF(fields);
            if (PyErr_Occurred())
                return NULL;
            Py_RETURN_NONE;
        }
        Py_ssize_t first = r.p - base;
        if (skip_object(&r) < 0) {
            Py_DECREF(key);
            Py_DECREF(fields);
            Py_RETURN_NONE;
        }
        PyObject *field = Py_BuildValue("(Nnn)", key, first, (Py_ssize_t)(r.p - base));
        if (field == NULL) {
            Py_DECREF(fields);
            return NULL;
        }
        PyList_SET_ITEM(fields, i, field);
    }
    if (r.p != r.end) {
        Py_DECREF(fields);
        Py_RETURN_NONE;
    }
    return fields;
}

#define MAX_SHAPE_DEPTH 200 /* deeper: the Python check decides */

typedef struct {
    PyObject *named_only, *format_kinds, *record_kinds, *positional_kinds;
} Kinds;

static int shape_ok(PyObject *shape, Kinds *kinds, int depth);

/* 1 if `union` is an exact tuple of shapes that pass, 0 if not plainly, -1 on error */
static int
union_ok(PyObject *union_, Kinds *kinds, int depth)
{
    if (!PyTuple_CheckExact(union_))
        return 0;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(union_); i++) {
        int ok = shape_ok(PyTuple_GET_ITEM(union_, i), kinds, depth + 1);
        if (ok != 1)
            return ok;
    }
    return 1;
}

static int
unions_ok(PyObject *unions, Kinds *kinds, int depth)
{
    if (!PyTuple_CheckExact(unions))
        return 0;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(unions); i++) {
        int ok = union_ok(PyTuple_GET_ITEM(unions, i), kinds, depth);
        if (ok != 1)
            return ok;
    }
    return 1;
}

static int
names_ok(PyObject *names, PyObject *unions)
{
    if (!PyTuple_CheckExact(names) || !PyTuple_CheckExact(unions) ||
        PyTuple_GET_SIZE(names) != PyTuple_GET_SIZE(unions))
        return 0;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(names); i++)
        if (!PyUnicode_CheckExact(PyTuple_GET_ITEM(names, i)))
            return 0;
    return 1;
}

static int
in_set(PyObject *set, PyObject *key)
{
    return PySequence_Contains(set, key);
}

/* 1 if `shape` plainly follows `shape_types.check_shape`'s grammar (exact tuples and
 * strs), 0 if the Python check must decide, -1 on error */
static int
shape_ok(PyObject *shape, Kinds *kinds, int depth)
{
    if (depth > MAX_SHAPE_DEPTH || !PyTuple_CheckExact(shape))
        return 0;
    Py_ssize_t size = PyTuple_GET_SIZE(shape);
    if (size == 0 || !PyUnicode_CheckExact(PyTuple_GET_ITEM(shape, 0)))
        return 0;
    if (size == 1)
        return 1;
    PyObject *kind = PyTuple_GET_ITEM(shape, 0);
    int named = PyUnicode_CheckExact(PyTuple_GET_ITEM(shape, 1));
    int found;
    if (size == 2 && named) {
        if ((found = in_set(kinds->named_only, kind)) != 0)
            return found;
        return in_set(kinds->format_kinds, kind);
    }
    if (size == 4 && named) {
        if ((found = in_set(kinds->record_kinds, kind)) < 0)
            return -1;
        if (found) {
            if (!names_ok(PyTuple_GET_ITEM(shape, 2), PyTuple_GET_ITEM(shape, 3)))
                return 0;
            return unions_ok(PyTuple_GET_ITEM(shape, 3), kinds, depth);
        }
        if (PyUnicode_CompareWithASCIIString(kind, "map") == 0) {
            found = union_ok(PyTuple_GET_ITEM(shape, 2), kinds, depth);
            return found != 1 ? found : union_ok(PyTuple_GET_ITEM(shape, 3), kinds, depth);
        }
        return 0;
    }
    if (size == 3 && PyUnicode_CompareWithASCIIString(kind, "args") == 0) {
        if (!names_ok(PyTuple_GET_ITEM(shape, 1), PyTuple_GET_ITEM(shape, 2)))
            return 0;
        return unions_ok(PyTuple_GET_ITEM(shape, 2), kinds, depth);
    }
    if (size == 3 && named) {
        if (PyUnicode_CompareWithASCIIString(kind, "coll") == 0)
            return union_ok(PyTuple_GET_ITEM(shape, 2), kinds, depth);
        if ((found = in_set(kinds->positional_kinds, kind)) != 1)
            return found;
        return unions_ok(PyTuple_GET_ITEM(shape, 2), kinds, depth);
    }
    return 0;
}

/* plain_shape(value, named_only, format_kinds, record_kinds, positional_kinds) -> bool
 * True only where `shape_types.check_shape(value)` passes; False where it must decide. */
static PyObject *
plain_shape(PyObject *self, PyObject *args)
{
    PyObject *value;
    Kinds kinds;
    if (!PyArg_ParseTuple(args, "OOOOO", &value, &kinds.named_only, &kinds.format_kinds,
                          &kinds.record_kinds, &kinds.positional_kinds))
        return NULL;
    int ok = shape_ok(value, &kinds, 0);
    if (ok < 0)
        return NULL;
    return PyBool_FromLong(ok);
}

static PyMethodDef methods[] = {
    {"item_spans", item_spans, METH_VARARGS,
     "item_spans(data, start): the bytes of each item of the array at start, and its end."},
    {"lazy_calls", lazy_calls, METH_VARARGS,
     "lazy_calls(data, start, shapes, outcomes, call_type, shared, valid, shared_trees, "
     "decoded)."},
    {"plain_shape", plain_shape, METH_VARARGS,
     "plain_shape(value, named_only, format_kinds, record_kinds, positional_kinds)."},
    {"runs_of", runs_of, METH_VARARGS, "runs_of(runs, shapes, outcomes, run_type)."},
    {"nests_of", nests_of, METH_VARARGS, "nests_of(nesting, nest_type)."},
    {"body_fields", body_fields, METH_VARARGS,
     "body_fields(data, start): the keys of the body map at start, where each value is."},
    {"runs_at", runs_at, METH_VARARGS, "runs_at(data, start, shapes, outcomes, run_type)."},
    {"nests_at", nests_at, METH_VARARGS, "nests_at(data, start, nest_type)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef scan_module = {
    PyModuleDef_HEAD_INIT, "_scan", "A cassette body's lists read by their bytes, in C.", -1,
    methods,
};

PyMODINIT_FUNC
PyInit__scan(void)
{
#define INTERN(var, text)                                                                  \
    if ((var = PyUnicode_InternFromString(text)) == NULL)                                  \
        return NULL;
    INTERN(str_seam, "seam")
    INTERN(str_caller, "caller")
    INTERN(str_index, "index")
    INTERN(str_args_shape, "args_shape")
    INTERN(str_outcome, "outcome")
    INTERN(str_result_shape, "result_shape")
    INTERN(str_shared, "_shared")
    INTERN(str_raw_args, "_raw_args")
    INTERN(str_raw_result, "_raw_result")
    INTERN(str_result, "result")
    INTERN(str_count, "count")
#undef INTERN
    if ((empty_tuple = PyTuple_New(0)) == NULL)
        return NULL;
    return PyModule_Create(&scan_module);
}
