/* seamrec.model._speedups: the compiled hot path (optional; the pure Python modules
 * seamrec.model.shape and seamrec.model.conform are the reference).
 *
 * - Walker: the shape of a value made only of exact builtin data (None, bool, int, float,
 *   str, bytes, the other leaf types of LEAF_SHAPES, dict, list, tuple), built exactly
 *   as the Python walker builds it. On anything else (a class the classifier decides, a
 *   cut, a cycle, an unusual key, an error) it returns None and the caller walks in Python.
 * - Check: a node of a compiled conformance check, built by seamrec.model.accel from a
 *   shape the way seamrec.model.conform builds its closures; called with a column (a
 *   list) it gives the same verdict. Nodes C does not decide wrap the Python check.
 *
 * - Payload keys: a recorded payload tree as a dict key, equal exactly where the trees
 *   pack to the same bytes (what seamrec.runtime.rebuild keys its replayed values by).
 * - Replayed copies: a fresh copy of a replayed value made only of builtin data, as the
 *   copy plan of seamrec.runtime.rebuild makes it.
 *
 * Foreign objects are never evaluated: C reads type() and the items of exact dicts,
 * lists and tuples; anything else goes back to Python.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>
#include <datetime.h>

/* ------------------------------------------------------------------ configuration */

static PyObject *classify_text;      /* formats.classify */
static PyObject *text_cache;         /* formats._cache (a dict, cleared, never rebound) */
static PyObject *classify_bytes_fn;  /* formats.classify_bytes */
static PyObject *classify_number_fn; /* formats.classify_number */
static PyObject *label_fits_fn;      /* formats.label_fits */
static PyObject *column_leaf_union_fn; /* shape.column_leaf_union */
static PyObject *format_union_fn;    /* shape.format_union */
static PyObject *type_path_fn;       /* classify.type_path */
static PyObject *sort_keysets_fn;    /* shape.sort_keysets */
static PyObject *leaf_unions;        /* {type: union} of leaves without a format class */
static PyObject *union_cache;        /* {(type, label): union} */
static double epoch_start = 946684800.0;
static long long epoch_start_int = 946684800LL;
static int configured = 0;

static PyObject *s_dict, *s_coll, *s_list, *s_tuple, *s_map;

static int
is_format_type(PyTypeObject *cls)
{
    return cls == &PyUnicode_Type || cls == &PyLong_Type || cls == &PyFloat_Type ||
           cls == &PyBytes_Type;
}

#define MAX_TEXT 4096    /* formats.MAX_TEXT: longer text has no format */
#define MIN_TOKEN 16     /* formats.MIN_TOKEN */
#define MIN_SHORT_HEX 12 /* formats.MIN_SHORT_HEX */

/* Whether formats.classify(text) is None, decided without a regex or the cache: 1 when
 * it surely is (ordinary words, names, sentences, codes), 0 when formats.py must decide
 * (digits first, a token's length, "@", ":", a date's or a header's length...). It
 * follows formats._classify branch by branch: a text it calls plain reaches a
 * `return None` there. `classify_text` exposes it to the equivalence tests. */
static int
surely_plain(PyObject *text)
{
    Py_ssize_t size = PyUnicode_GET_LENGTH(text);
    if (size == 0 || size > MAX_TEXT)
        return 1;
    Py_UCS4 first = PyUnicode_READ_CHAR(text, 0);
    int ascii = PyUnicode_IS_ASCII(text);
    if (first >= '0' && first <= '9')
        return !ascii; /* _digit_first for ASCII text */
    if ((first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z')) {
        if (!ascii)
            return 1; /* isalpha: no ~token without isascii; else not ascii: None */
        const Py_UCS1 *chars = PyUnicode_1BYTE_DATA(text);
        int letters = 1, space = 0, marks = 0;
        for (Py_ssize_t i = 1; i < size; i++) {
            Py_UCS1 c = chars[i];
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
                continue;
            letters = 0;
            if (c == ' ')
                space = 1;
            else if (c == ':' || c == '@')
                marks = 1;
        }
        if (letters)
            return size < MIN_TOKEN; /* a word; ~token(n) from 16 letters */
        if (space)
            return size < 19 || size > 40; /* _rfc2822 between 19 and 40 */
        if (marks)
            return 0; /* a URL, an email, an IPv6 address */
        if (first == 'e' && size >= 3 && chars[1] == 'y' && chars[2] == 'J')
            return 0; /* a JWT, however short */
        if (size >= MIN_SHORT_HEX)
            return 0; /* a JWT, a UUID, a token, a short hex */
        return 1; /* _short_hex of fewer than 12 characters */
    }
    if (first == '_' || first == '/')
        return size < MIN_TOKEN || !ascii; /* no number; a token from 16 ASCII */
    if (first == '+' || first == '-' || first == ':' || first == '<')
        return 0; /* a signed number, an IPv6 address, a redaction placeholder */
    return 1;
}

/* The format class of one exact str, bytes, int or float (new reference). */
static PyObject *
classify_one(PyObject *value)
{
    PyTypeObject *cls = Py_TYPE(value);
    if (cls == &PyUnicode_Type) {
        if (surely_plain(value))
            Py_RETURN_NONE;
        PyObject *found = PyDict_GetItemWithError(text_cache, value);
        if (found != NULL) {
            Py_INCREF(found);
            return found;
        }
        if (PyErr_Occurred())
            return NULL;
        return PyObject_CallOneArg(classify_text, value);
    }
    if (cls == &PyLong_Type) {
        int overflow = 0;
        long long number = PyLong_AsLongLongAndOverflow(value, &overflow);
        if (number == -1 && PyErr_Occurred())
            return NULL;
        if (overflow < 0 || (overflow == 0 && number < epoch_start_int))
            Py_RETURN_NONE;
        return PyObject_CallOneArg(classify_number_fn, value);
    }
    if (cls == &PyFloat_Type) {
        if (!(PyFloat_AS_DOUBLE(value) >= epoch_start))
            Py_RETURN_NONE;
        return PyObject_CallOneArg(classify_number_fn, value);
    }
    return PyObject_CallOneArg(classify_bytes_fn, value);
}

static PyObject *
py_classify_text(PyObject *module, PyObject *text)
{
    if (!PyUnicode_CheckExact(text)) {
        PyErr_SetString(PyExc_TypeError, "classify_text takes an exact str");
        return NULL;
    }
    if (!configured) {
        PyErr_SetString(PyExc_RuntimeError, "seamrec.model._speedups is not configured");
        return NULL;
    }
    return classify_one(text);
}

static PyObject *
surely_plain_text(PyObject *module, PyObject *text)
{
    if (!PyUnicode_CheckExact(text)) {
        PyErr_SetString(PyExc_TypeError, "surely_plain takes an exact str");
        return NULL;
    }
    return PyBool_FromLong(surely_plain(text));
}

/* shape.format_union(cls, label), cached (new reference). */
static PyObject *
format_union(PyTypeObject *cls, PyObject *label)
{
    PyObject *key = PyTuple_Pack(2, (PyObject *)cls, label);
    if (key == NULL)
        return NULL;
    PyObject *found = PyDict_GetItemWithError(union_cache, key);
    if (found != NULL) {
        Py_DECREF(key);
        Py_INCREF(found);
        return found;
    }
    if (PyErr_Occurred()) {
        Py_DECREF(key);
        return NULL;
    }
    found = PyObject_CallFunctionObjArgs(format_union_fn, (PyObject *)cls, label, NULL);
    if (found != NULL && PyDict_SetItem(union_cache, key, found) < 0)
        Py_CLEAR(found);
    Py_DECREF(key);
    return found;
}

static PyObject *
configure(PyObject *module, PyObject *args)
{
    PyObject *items[10];
    if (!PyArg_ParseTuple(args, "OO!OOOOOOOO!", &items[0], &PyDict_Type, &items[1], &items[2],
                          &items[3], &items[4], &items[5], &items[6], &items[7], &items[8],
                          &PyDict_Type, &items[9]))
        return NULL;
    PyObject **slots[10] = {&classify_text,        &text_cache,      &classify_bytes_fn,
                            &classify_number_fn,   &label_fits_fn,   &column_leaf_union_fn,
                            &format_union_fn,      &type_path_fn,    &sort_keysets_fn,
                            &leaf_unions};
    for (int i = 0; i < 10; i++) {
        Py_INCREF(items[i]);
        Py_XSETREF(*slots[i], items[i]);
    }
    configured = 1;
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------ the walker */

typedef struct {
    PyObject_HEAD
    Py_ssize_t max_depth;
    Py_ssize_t max_nodes;
    Py_ssize_t budget;
    int clocks; /* the classifier walks exact datetime (1) and time (2) as clocks */
    int cuts;   /* a walk past the budget is cut here as Python cuts it (else: given up) */
    int cut;    /* per call: the walk ran out of its budget */
    int deep;   /* per call: a value at CYCLE_CHECK_DEPTH or deeper was walked alone */
} WalkerObject;

/* shape.CYCLE_CHECK_DEPTH: from there on the Python walker cuts cycles between values it
 * walks alone. This walker has no cycle set (a cycle runs into max_depth, where it gives
 * up), so a walk that was cut and went that deep is given up too: Python might have cut
 * a cycle there before the budget ran out. */
#define CYCLE_CHECK_DEPTH 4

static PyObject *s_naive_datetime, *s_aware_datetime, *s_naive_time, *s_aware_time;
static PyObject *s_too_large; /* (shape.TOO_LARGE,): the union of a value past the budget */

/* The budget ran out: (TOO_LARGE,) as Python's `over_budget` gives it, or NULL when this
 * walker gives up instead. */
static PyObject *
over_budget(WalkerObject *w)
{
    if (!w->cuts)
        return NULL;
    w->cut = 1;
    Py_INCREF(s_too_large);
    return s_too_large;
}

static int
is_clock(WalkerObject *w, PyTypeObject *cls)
{
    return (cls == PyDateTimeAPI->DateTimeType && (w->clocks & 1)) ||
           (cls == PyDateTimeAPI->TimeType && (w->clocks & 2));
}

static int
has_tzinfo(PyObject *value)
{
    if (Py_TYPE(value) == PyDateTimeAPI->DateTimeType)
        return PyDateTime_DATE_GET_TZINFO(value) != Py_None;
    return PyDateTime_TIME_GET_TZINFO(value) != Py_None;
}

/* others() of a clock: one shape per awareness, in first-seen order. */
static PyObject *
w_clocks(PyTypeObject *cls, PyObject *values)
{
    int datetime = cls == PyDateTimeAPI->DateTimeType;
    PyObject *naive = datetime ? s_naive_datetime : s_naive_time;
    PyObject *aware = datetime ? s_aware_datetime : s_aware_time;
    PyObject *first = NULL, *second = NULL;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(values); i++) {
        PyObject *shape = has_tzinfo(PyList_GET_ITEM(values, i)) ? aware : naive;
        if (first == NULL)
            first = shape;
        else if (shape != first) {
            second = shape;
            break;
        }
    }
    if (first == NULL)
        return PyTuple_New(0);
    return second == NULL ? PyTuple_Pack(1, first) : PyTuple_Pack(2, first, second);
}

/* Every function returns a new reference to a union, or NULL to give up (an error may
 * be set; the caller clears it and walks in Python). */
static PyObject *w_single(WalkerObject *w, PyObject *value, Py_ssize_t depth);
static PyObject *w_column(WalkerObject *w, PyObject *values, Py_ssize_t depth);
static PyObject *w_of_class(WalkerObject *w, PyTypeObject *cls, PyObject *values,
                            Py_ssize_t depth);

static int
is_supported(WalkerObject *w, PyTypeObject *cls)
{
    if (is_clock(w, cls))
        return 1;
    if (is_format_type(cls) || cls == &PyDict_Type || cls == &PyList_Type ||
        cls == &PyTuple_Type)
        return 1;
    return PyDict_GetItemWithError(leaf_unions, (PyObject *)cls) != NULL;
}

static PyObject *
one_union(PyObject *shape) /* steals shape */
{
    if (shape == NULL)
        return NULL;
    PyObject *u = PyTuple_Pack(1, shape);
    Py_DECREF(shape);
    return u;
}

/* The union of each value of a sequence (list or tuple), walked one by one. */
static PyObject *
w_members(WalkerObject *w, PyObject *seq, Py_ssize_t depth)
{
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject **items = PySequence_Fast_ITEMS(seq);
    PyObject *result = PyTuple_New(n);
    if (result == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *u = w_single(w, items[i], depth);
        if (u == NULL) {
            Py_DECREF(result);
            return NULL;
        }
        PyTuple_SET_ITEM(result, i, u);
    }
    return result;
}

/* Each column of `rows` (lists or tuples of `width` items each). */
static PyObject *
w_columns_of(WalkerObject *w, PyObject *rows, Py_ssize_t width, Py_ssize_t depth)
{
    Py_ssize_t n = PyList_GET_SIZE(rows);
    PyObject *result = PyTuple_New(width);
    if (result == NULL)
        return NULL;
    for (Py_ssize_t c = 0; c < width; c++) {
        PyObject *column = PyList_New(n);
        if (column == NULL)
            goto fail;
        for (Py_ssize_t r = 0; r < n; r++) {
            PyObject *row = PyList_GET_ITEM(rows, r);
            if (PySequence_Fast_GET_SIZE(row) != width) {
                Py_DECREF(column);
                goto fail;
            }
            PyObject *item = PySequence_Fast_ITEMS(row)[c];
            Py_INCREF(item);
            PyList_SET_ITEM(column, r, item);
        }
        PyObject *u = w_column(w, column, depth);
        Py_DECREF(column);
        if (u == NULL)
            goto fail;
        PyTuple_SET_ITEM(result, c, u);
    }
    return result;
fail:
    Py_DECREF(result);
    return NULL;
}

/* The keys of a dict as a tuple; NULL (no error) when a key is not an exact str or int. */
static PyObject *
dict_keys(PyObject *value, int *all_identifiers)
{
    Py_ssize_t n = PyDict_GET_SIZE(value), pos = 0, i = 0;
    PyObject *key, *item;
    PyObject *keys = PyTuple_New(n);
    if (keys == NULL)
        return NULL;
    *all_identifiers = 1;
    while (PyDict_Next(value, &pos, &key, &item)) {
        if (i >= n)
            goto changed;
        if (PyUnicode_CheckExact(key)) {
            if (*all_identifiers && !PyUnicode_IsIdentifier(key))
                *all_identifiers = 0;
        }
        else if (PyLong_CheckExact(key))
            *all_identifiers = -1; /* "".join() fails: a map */
        else
            goto changed;
        Py_INCREF(key);
        PyTuple_SET_ITEM(keys, i++, key);
    }
    if (i != n)
        goto changed;
    return keys;
changed:
    Py_DECREF(keys);
    return NULL;
}

static PyObject *
sort_union(PyObject *u) /* steals u */
{
    if (u == NULL || PyTuple_GET_SIZE(u) <= 1)
        return u;
    PyObject *list = PySequence_List(u);
    Py_DECREF(u);
    if (list == NULL)
        return NULL;
    if (PyList_Sort(list) < 0) {
        Py_DECREF(list);
        return NULL;
    }
    PyObject *t = PyList_AsTuple(list);
    Py_DECREF(list);
    return t;
}

/* ("map", name, sort_union(column(keys)), column(values)) of dicts. */
static PyObject *
w_key_value_map(WalkerObject *w, PyObject *dicts, Py_ssize_t depth)
{
    PyObject *keys = PyList_New(0), *values = PyList_New(0), *result = NULL;
    PyObject *key_union = NULL, *value_union = NULL;
    if (keys == NULL || values == NULL)
        goto done;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(dicts); i++) {
        PyObject *d = PyList_GET_ITEM(dicts, i), *k, *v;
        Py_ssize_t pos = 0;
        while (PyDict_Next(d, &pos, &k, &v)) {
            if (PyList_Append(keys, k) < 0 || PyList_Append(values, v) < 0)
                goto done;
        }
    }
    key_union = sort_union(w_column(w, keys, depth + 1));
    if (key_union == NULL)
        goto done;
    value_union = w_column(w, values, depth + 1);
    if (value_union == NULL)
        goto done;
    result = PyTuple_Pack(4, s_map, s_dict, key_union, value_union);
done:
    Py_XDECREF(keys);
    Py_XDECREF(values);
    Py_XDECREF(key_union);
    Py_XDECREF(value_union);
    return result;
}

static PyObject *
dict_values_list(PyObject *d)
{
    return PyDict_Values(d);
}

/* 1: `d` has exactly `keys` in order; 0: other keys; -1: a key C does not compare. */
static int
has_keys(PyObject *d, PyObject *keys)
{
    Py_ssize_t pos = 0, k = 0;
    PyObject *key, *item;
    if (PyDict_GET_SIZE(d) != PyTuple_GET_SIZE(keys))
        return 0;
    while (PyDict_Next(d, &pos, &key, &item)) {
        PyObject *expected = PyTuple_GET_ITEM(keys, k++);
        if (key == expected)
            continue;
        if (PyUnicode_CheckExact(key)) {
            if (!PyUnicode_CheckExact(expected) || PyUnicode_Compare(key, expected) != 0)
                return 0;
        }
        else if (PyLong_CheckExact(key)) {
            if (!PyLong_CheckExact(expected))
                return 0;
            int same = PyObject_RichCompareBool(key, expected, Py_EQ);
            if (same != 1)
                return same;
        }
        else
            return -1;
    }
    return 1;
}

/* mappings() of rows that all have the keys of the first one (rows of one record type):
 * the columns are read straight from the dicts. NULL with no error: not uniform. */
static PyObject *
w_uniform_mappings(WalkerObject *w, PyObject *dicts, Py_ssize_t depth, int *uniform)
{
    Py_ssize_t n = PyList_GET_SIZE(dicts);
    int identifiers;
    *uniform = 0;
    PyObject *keys = dict_keys(PyList_GET_ITEM(dicts, 0), &identifiers);
    if (keys == NULL)
        return NULL;
    for (Py_ssize_t i = 1; i < n; i++) {
        int same = has_keys(PyList_GET_ITEM(dicts, i), keys);
        if (same != 1) {
            Py_DECREF(keys);
            *uniform = same < 0 ? -1 : 0;
            return NULL;
        }
    }
    *uniform = 1;
    if (identifiers != 1) {
        Py_DECREF(keys);
        return one_union(w_key_value_map(w, dicts, depth));
    }
    Py_ssize_t width = PyTuple_GET_SIZE(keys);
    PyObject *fields = PyTuple_New(width), *columns = PyTuple_New(width);
    if (fields == NULL || columns == NULL)
        goto fail;
    for (Py_ssize_t k = 0; k < width; k++) {
        PyObject *column = PyList_New(n);
        if (column == NULL)
            goto fail;
        PyTuple_SET_ITEM(columns, k, column);
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t pos = 0, k = 0;
        PyObject *key, *item;
        while (k < width && PyDict_Next(PyList_GET_ITEM(dicts, i), &pos, &key, &item)) {
            Py_INCREF(item);
            PyList_SET_ITEM(PyTuple_GET_ITEM(columns, k), i, item);
            k++;
        }
    }
    for (Py_ssize_t k = 0; k < width; k++) {
        PyObject *u = w_column(w, PyTuple_GET_ITEM(columns, k), depth + 1);
        if (u == NULL)
            goto fail;
        PyTuple_SET_ITEM(fields, k, u);
    }
    Py_DECREF(columns);
    PyObject *shape = PyTuple_Pack(4, s_dict, s_dict, keys, fields);
    Py_DECREF(keys);
    Py_DECREF(fields);
    return one_union(shape);
fail:
    Py_DECREF(keys);
    Py_XDECREF(fields);
    Py_XDECREF(columns);
    return NULL;
}

/* mappings(values, "dict", depth): dicts grouped by their key tuples. */
static PyObject *
w_mappings(WalkerObject *w, PyObject *dicts, Py_ssize_t depth)
{
    int uniform;
    PyObject *found = w_uniform_mappings(w, dicts, depth, &uniform);
    if (found != NULL || uniform != 0)
        return found;

    Py_ssize_t n = PyList_GET_SIZE(dicts);
    PyObject *keysets = PyList_New(n), *distinct = NULL, *order = NULL, *shapes = NULL;
    PyObject *result = NULL;
    int identifiers = 1;
    if (keysets == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        int ids;
        PyObject *keys = dict_keys(PyList_GET_ITEM(dicts, i), &ids);
        if (keys == NULL)
            goto done;
        PyList_SET_ITEM(keysets, i, keys);
    }
    int one_keyset = 1; /* the common case: rows of one record type, no set built */
    for (Py_ssize_t i = 1; i < n && one_keyset; i++) {
        int same = PyObject_RichCompareBool(PyList_GET_ITEM(keysets, i),
                                            PyList_GET_ITEM(keysets, 0), Py_EQ);
        if (same < 0)
            goto done;
        one_keyset = same;
    }
    distinct = one_keyset ? PyList_GetSlice(keysets, 0, n ? 1 : 0) : PySet_New(keysets);
    if (distinct == NULL)
        goto done;
    if (one_keyset || PySet_GET_SIZE(distinct) == 1)
        order = PySequence_List(distinct);
    else
        order = PyObject_CallOneArg(sort_keysets_fn, distinct);
    if (order == NULL || !PyList_Check(order))
        goto done;
    shapes = PyList_New(0);
    if (shapes == NULL)
        goto done;
    for (Py_ssize_t s = 0; s < PyList_GET_SIZE(order); s++) {
        PyObject *keys = PyList_GET_ITEM(order, s);
        Py_ssize_t width = PyTuple_GET_SIZE(keys);
        identifiers = 1;
        for (Py_ssize_t k = 0; k < width; k++) {
            PyObject *key = PyTuple_GET_ITEM(keys, k);
            if (!PyUnicode_CheckExact(key)) {
                identifiers = -1;
                break;
            }
            if (identifiers == 1 && !PyUnicode_IsIdentifier(key))
                identifiers = 0;
        }
        if (identifiers != 1) {
            result = one_union(w_key_value_map(w, dicts, depth));
            goto done;
        }
        PyObject *fields;
        if (width == 0) {
            fields = PyTuple_New(0);
        }
        else {
            PyObject *rows = PyList_New(0);
            if (rows == NULL)
                goto done;
            for (Py_ssize_t i = 0; i < n; i++) {
                int same = PyList_GET_SIZE(order) == 1
                               ? 1
                               : PyObject_RichCompareBool(PyList_GET_ITEM(keysets, i), keys,
                                                          Py_EQ);
                if (same < 0) {
                    Py_DECREF(rows);
                    goto done;
                }
                if (!same)
                    continue;
                PyObject *row = dict_values_list(PyList_GET_ITEM(dicts, i));
                if (row == NULL || PyList_Append(rows, row) < 0) {
                    Py_XDECREF(row);
                    Py_DECREF(rows);
                    goto done;
                }
                Py_DECREF(row);
            }
            fields = w_columns_of(w, rows, width, depth + 1);
            Py_DECREF(rows);
        }
        if (fields == NULL)
            goto done;
        PyObject *shape = PyTuple_Pack(4, s_dict, s_dict, keys, fields);
        Py_DECREF(fields);
        if (shape == NULL || PyList_Append(shapes, shape) < 0) {
            Py_XDECREF(shape);
            goto done;
        }
        Py_DECREF(shape);
    }
    result = PyList_AsTuple(shapes);
done:
    Py_XDECREF(keysets);
    Py_XDECREF(distinct);
    Py_XDECREF(order);
    Py_XDECREF(shapes);
    return result;
}

/* tuples(values, "tuple", depth): tuples grouped by length, in first-seen order. */
static PyObject *
w_tuples(WalkerObject *w, PyObject *tuples, Py_ssize_t depth)
{
    Py_ssize_t n = PyList_GET_SIZE(tuples);
    PyObject *lengths = PyList_New(0), *shapes = NULL, *result = NULL;
    if (lengths == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *size = PyLong_FromSsize_t(PyTuple_GET_SIZE(PyList_GET_ITEM(tuples, i)));
        if (size == NULL)
            goto done;
        int seen = PySequence_Contains(lengths, size);
        if (seen < 0 || (!seen && PyList_Append(lengths, size) < 0)) {
            Py_DECREF(size);
            goto done;
        }
        Py_DECREF(size);
    }
    shapes = PyTuple_New(PyList_GET_SIZE(lengths));
    if (shapes == NULL)
        goto done;
    for (Py_ssize_t s = 0; s < PyList_GET_SIZE(lengths); s++) {
        Py_ssize_t length = PyLong_AsSsize_t(PyList_GET_ITEM(lengths, s));
        PyObject *fields;
        if (length == 0) {
            fields = PyTuple_New(0);
        }
        else {
            PyObject *rows = PyList_New(0);
            if (rows == NULL)
                goto done;
            for (Py_ssize_t i = 0; i < n; i++) {
                PyObject *row = PyList_GET_ITEM(tuples, i);
                if (PyTuple_GET_SIZE(row) == length && PyList_Append(rows, row) < 0) {
                    Py_DECREF(rows);
                    goto done;
                }
            }
            fields = w_columns_of(w, rows, length, depth + 1);
            Py_DECREF(rows);
        }
        if (fields == NULL)
            goto done;
        PyObject *shape = PyTuple_Pack(3, s_tuple, s_tuple, fields);
        Py_DECREF(fields);
        if (shape == NULL)
            goto done;
        PyTuple_SET_ITEM(shapes, s, shape);
    }
    result = shapes;
    shapes = NULL;
done:
    Py_XDECREF(lengths);
    Py_XDECREF(shapes);
    return result;
}

/* The label of column_leaf_union(cls, items): the format class every value shares, else
 * None (new reference); NULL with no error set: compute it in Python. `items` are the
 * values at items[0], items[stride], ... (a list, or one field of a matrix of rows). */
static PyObject *
leaf_column_label(PyTypeObject *cls, PyObject **items, Py_ssize_t n, Py_ssize_t stride)
{
    if (n == 0)
        return NULL;
    if (cls == &PyUnicode_Type) {
        PyObject *label = NULL;
        for (Py_ssize_t i = 0; i < n; i++) {
            if (i && items[i * stride] == items[(i - 1) * stride])
                continue; /* the same text object as the row before: the same class */
            PyObject *found = classify_one(items[i * stride]);
            if (found == NULL) {
                Py_XDECREF(label);
                return NULL;
            }
            if (label == NULL) {
                label = found;
                continue;
            }
            int same = found == label ? 1 : PyObject_RichCompareBool(found, label, Py_EQ);
            Py_DECREF(found);
            if (same < 0) {
                Py_DECREF(label);
                return NULL;
            }
            if (!same) {
                Py_DECREF(label);
                Py_RETURN_NONE;
            }
        }
        return label;
    }
    if (cls == &PyLong_Type) {
        long long top = LLONG_MIN;
        for (Py_ssize_t i = 0; i < n; i++) {
            int overflow = 0;
            long long number = PyLong_AsLongLongAndOverflow(items[i * stride], &overflow);
            if (number == -1 && PyErr_Occurred())
                return NULL;
            if (overflow > 0)
                return NULL;
            if (overflow == 0 && number > top)
                top = number;
        }
        if (top < epoch_start_int)
            Py_RETURN_NONE;
        return NULL;
    }
    if (cls == &PyFloat_Type) {
        double top = PyFloat_AS_DOUBLE(items[0]);
        for (Py_ssize_t i = 1; i < n; i++) {
            double number = PyFloat_AS_DOUBLE(items[i * stride]);
            if (number > top)
                top = number;
        }
        if (top < epoch_start)
            Py_RETURN_NONE;
    }
    return NULL;
}

/* column_leaf_union(cls, values): the class all values share, else the plain leaf. */
static PyObject *
w_leaf_column(PyTypeObject *cls, PyObject *values)
{
    PyObject *label =
        leaf_column_label(cls, PySequence_Fast_ITEMS(values), PyList_GET_SIZE(values), 1);
    if (label != NULL) {
        PyObject *u = format_union(cls, label);
        Py_DECREF(label);
        return u;
    }
    if (PyErr_Occurred())
        return NULL;
    return PyObject_CallFunctionObjArgs(column_leaf_union_fn, (PyObject *)cls, values, NULL);
}

/* The label of column_leaf_union(cls, field of a matrix) (new reference). */
static PyObject *
cells_label(PyTypeObject *cls, PyObject **cells, Py_ssize_t n, Py_ssize_t stride)
{
    PyObject *label = leaf_column_label(cls, cells, n, stride);
    if (label != NULL || PyErr_Occurred())
        return label;
    PyObject *values = PyList_New(n);
    if (values == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_INCREF(cells[i * stride]);
        PyList_SET_ITEM(values, i, cells[i * stride]);
    }
    PyObject *u = PyObject_CallFunctionObjArgs(column_leaf_union_fn, (PyObject *)cls, values, NULL);
    Py_DECREF(values);
    if (u == NULL)
        return NULL;
    PyObject *leaf = PyTuple_GET_ITEM(u, 0);
    label = PyTuple_GET_SIZE(leaf) == 2 ? PyTuple_GET_ITEM(leaf, 1) : Py_None;
    Py_INCREF(label);
    Py_DECREF(u);
    return label;
}

static PyObject *
w_of_class(WalkerObject *w, PyTypeObject *cls, PyObject *values, Py_ssize_t depth)
{
    if (is_format_type(cls))
        return w_leaf_column(cls, values);
    PyObject *leaf = PyDict_GetItemWithError(leaf_unions, (PyObject *)cls);
    if (leaf != NULL) {
        Py_INCREF(leaf);
        return leaf;
    }
    if (PyErr_Occurred())
        return NULL;
    if (cls == &PyDict_Type)
        return w_mappings(w, values, depth);
    if (cls == &PyList_Type) {
        PyObject *flat = PyList_New(0);
        if (flat == NULL)
            return NULL;
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(values); i++) {
            PyObject *item = PyList_GET_ITEM(values, i);
            if (PyList_SetSlice(flat, PY_SSIZE_T_MAX, PY_SSIZE_T_MAX, item) < 0) {
                Py_DECREF(flat);
                return NULL;
            }
        }
        PyObject *items = w_column(w, flat, depth + 1);
        Py_DECREF(flat);
        if (items == NULL)
            return NULL;
        PyObject *shape = PyTuple_Pack(3, s_coll, s_list, items);
        Py_DECREF(items);
        return one_union(shape);
    }
    if (cls == &PyTuple_Type)
        return w_tuples(w, values, depth);
    if (is_clock(w, cls))
        return w_clocks(cls, values);
    return NULL; /* the classifier decides: Python walks it */
}

static int
path_order(const void *a, const void *b)
{
    PyObject *x = ((PyObject *const *)a)[1], *y = ((PyObject *const *)b)[1];
    return PyUnicode_Compare(x, y);
}

static PyObject *
w_column(WalkerObject *w, PyObject *values, Py_ssize_t depth)
{
    Py_ssize_t n = PyList_GET_SIZE(values);
    if (n == 1)
        return w_single(w, PyList_GET_ITEM(values, 0), depth);
    if (depth >= w->max_depth)
        return NULL;
    w->budget += n;
    if (w->budget > w->max_nodes)
        return over_budget(w);
    PyTypeObject *classes[16];
    Py_ssize_t count = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyTypeObject *cls = Py_TYPE(PyList_GET_ITEM(values, i));
        Py_ssize_t k = 0;
        while (k < count && classes[k] != cls)
            k++;
        if (k == count) {
            if (count == 16 || !is_supported(w, cls))
                return NULL;
            classes[count++] = cls;
        }
    }
    if (count == 0)
        return PyTuple_New(0);
    if (count == 1)
        return w_of_class(w, classes[0], values, depth);
    /* several classes: each walked as its own column, in the order of their type paths */
    PyObject *pairs[32];
    for (Py_ssize_t k = 0; k < count; k++) {
        PyObject *path = PyObject_CallOneArg(type_path_fn, (PyObject *)classes[k]);
        if (path == NULL || !PyUnicode_Check(path)) {
            Py_XDECREF(path);
            for (Py_ssize_t j = 0; j < k; j++)
                Py_DECREF(pairs[2 * j + 1]);
            return NULL;
        }
        pairs[2 * k] = (PyObject *)classes[k];
        pairs[2 * k + 1] = path;
    }
    qsort(pairs, (size_t)count, 2 * sizeof(PyObject *), path_order);
    PyObject *union_ = PyDict_New(), *result = NULL;
    if (union_ == NULL)
        goto done;
    for (Py_ssize_t k = 0; k < count; k++) {
        PyTypeObject *cls = (PyTypeObject *)pairs[2 * k];
        PyObject *members = PyList_New(0);
        if (members == NULL)
            goto done;
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *v = PyList_GET_ITEM(values, i);
            if (Py_TYPE(v) == cls && PyList_Append(members, v) < 0) {
                Py_DECREF(members);
                goto done;
            }
        }
        PyObject *shapes = w_of_class(w, cls, members, depth);
        Py_DECREF(members);
        if (shapes == NULL)
            goto done;
        for (Py_ssize_t s = 0; s < PyTuple_GET_SIZE(shapes); s++) {
            if (PyDict_SetDefault(union_, PyTuple_GET_ITEM(shapes, s), Py_None) == NULL) {
                Py_DECREF(shapes);
                goto done;
            }
        }
        Py_DECREF(shapes);
    }
    {
        PyObject *keys = PyDict_Keys(union_);
        if (keys != NULL) {
            result = PyList_AsTuple(keys);
            Py_DECREF(keys);
        }
    }
done:
    Py_XDECREF(union_);
    for (Py_ssize_t k = 0; k < count; k++)
        Py_DECREF(pairs[2 * k + 1]);
    return result;
}

static PyObject *
w_single(WalkerObject *w, PyObject *value, Py_ssize_t depth)
{
    PyTypeObject *cls = Py_TYPE(value);
    if (is_format_type(cls)) {
        PyObject *label = classify_one(value);
        if (label == NULL)
            return NULL;
        PyObject *u = format_union(cls, label);
        Py_DECREF(label);
        return u;
    }
    PyObject *leaf = PyDict_GetItemWithError(leaf_unions, (PyObject *)cls);
    if (leaf != NULL) {
        Py_INCREF(leaf);
        return leaf;
    }
    if (PyErr_Occurred())
        return NULL;
    if (depth >= w->max_depth)
        return NULL;
    w->budget += 1;
    if (w->budget > w->max_nodes)
        return over_budget(w);
    if (depth >= CYCLE_CHECK_DEPTH)
        w->deep = 1;
    /* no cycle set: a cycle runs into max_depth, and Python then walks it */
    if (cls == &PyDict_Type) {
        int identifiers;
        PyObject *keys = dict_keys(value, &identifiers);
        if (keys == NULL)
            return NULL;
        if (identifiers != 1) {
            Py_DECREF(keys);
            PyObject *dicts = PyList_New(1);
            if (dicts == NULL)
                return NULL;
            Py_INCREF(value);
            PyList_SET_ITEM(dicts, 0, value);
            PyObject *shape = w_key_value_map(w, dicts, depth);
            Py_DECREF(dicts);
            return one_union(shape);
        }
        PyObject *values = PyDict_Values(value);
        if (values == NULL) {
            Py_DECREF(keys);
            return NULL;
        }
        PyObject *unions = w_members(w, values, depth + 1);
        Py_DECREF(values);
        if (unions == NULL) {
            Py_DECREF(keys);
            return NULL;
        }
        PyObject *shape = PyTuple_Pack(4, s_dict, s_dict, keys, unions);
        Py_DECREF(keys);
        Py_DECREF(unions);
        return one_union(shape);
    }
    if (cls == &PyList_Type) {
        PyObject *copy = PyList_GetSlice(value, 0, PyList_GET_SIZE(value)); /* ours */
        if (copy == NULL)
            return NULL;
        PyObject *items = w_column(w, copy, depth + 1);
        Py_DECREF(copy);
        if (items == NULL)
            return NULL;
        PyObject *shape = PyTuple_Pack(3, s_coll, s_list, items);
        Py_DECREF(items);
        return one_union(shape);
    }
    if (cls == &PyTuple_Type) {
        PyObject *unions = w_members(w, value, depth + 1);
        if (unions == NULL)
            return NULL;
        PyObject *shape = PyTuple_Pack(3, s_tuple, s_tuple, unions);
        Py_DECREF(unions);
        return one_union(shape);
    }
    if (is_clock(w, cls)) {
        PyObject *values = PyList_New(1);
        if (values == NULL)
            return NULL;
        Py_INCREF(value);
        PyList_SET_ITEM(values, 0, value);
        PyObject *u = w_clocks(cls, values);
        Py_DECREF(values);
        return u;
    }
    return NULL;
}

/* Untracking shapes. A shape is made of exact tuples of strings and shapes, which the
 * collector stops tracking once it sees that a tuple's items are all untracked; but it
 * looks at the tuples of a generation in the order they were made, and a shape's tuples
 * are made parent first (PyTuple_New, then its items: here and in msgpack), so a deep
 * shape kept for the run would lose one level per full collection and be walked by
 * every collection until then. `untrack_tree` does at once, items first, what the
 * collector does (CPython's _PyTuple_MaybeUntrack): an exact tuple whose items are all
 * untracked or not collected at all is untracked. It says whether `o` is now so. */
#define UNTRACK_MAX_DEPTH 256

static int
untrack_tree(PyObject *o, int depth)
{
    if (!PyObject_IS_GC(o))
        return 1;
    if (!PyTuple_CheckExact(o))
        return 0;
    if (!PyObject_GC_IsTracked(o))
        return 1; /* the collector or this function found its items untracked */
    if (depth >= UNTRACK_MAX_DEPTH)
        return 0;
    int all = 1;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(o); i++) {
        PyObject *item = PyTuple_GET_ITEM(o, i);
        if (item == NULL || !untrack_tree(item, depth + 1))
            all = 0;
    }
    if (all)
        PyObject_GC_UnTrack(o);
    return all;
}

static PyObject *
py_untrack(PyObject *m, PyObject *shape)
{
    untrack_tree(shape, 0);
    Py_INCREF(shape);
    return shape;
}

static PyObject *
Walker_call(WalkerObject *w, PyObject *args, PyObject *kwargs)
{
    PyObject *value;
    if (!PyArg_UnpackTuple(args, "Walker", 1, 1, &value))
        return NULL;
    if (!configured) {
        PyErr_SetString(PyExc_RuntimeError, "seamrec.model._speedups is not configured");
        return NULL;
    }
    WalkerObject state = *w; /* per call: threads may share a walker */
    state.budget = 0;
    state.cut = 0;
    state.deep = 0;
    PyObject *u = w_single(&state, value, 0);
    if (u == NULL) {
        PyErr_Clear();
        Py_RETURN_NONE;
    }
    if (state.cut && state.deep) {
        Py_DECREF(u);
        Py_RETURN_NONE;
    }
    PyObject *shape = PyTuple_GET_ITEM(u, 0);
    Py_INCREF(shape);
    Py_DECREF(u);
    return shape;
}

static PyObject *
Walker_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    Py_ssize_t max_depth, max_nodes;
    int clocks = 0, cuts = 0;
    if (!PyArg_ParseTuple(args, "nn|ip", &max_depth, &max_nodes, &clocks, &cuts))
        return NULL;
    WalkerObject *w = (WalkerObject *)type->tp_alloc(type, 0);
    if (w == NULL)
        return NULL;
    w->max_depth = max_depth;
    w->max_nodes = max_nodes;
    w->budget = 0;
    w->clocks = clocks;
    w->cuts = cuts;
    w->cut = 0;
    w->deep = 0;
    return (PyObject *)w;
}

static PyTypeObject WalkerType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "seamrec.model._speedups.Walker",
    .tp_basicsize = sizeof(WalkerObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Walker(max_depth, max_nodes, clocks=0, cuts=False)(value): the shape of builtin "
              "data, or None; `cuts`: a walk past the budget is cut as Python cuts it.",
    .tp_new = Walker_new,
    .tp_call = (ternaryfunc)Walker_call,
};

/* ------------------------------------------------------------------ checks */

enum {
    K_ALWAYS,
    K_EMPTY,
    K_LEAF,
    K_FORMAT,
    K_DICT,
    K_LIST,
    K_TUPLE,
    K_SELF,
    K_CLOCK,
    K_STRICT_FORMAT,
    K_ARGS,
    K_PYTHON
};

typedef struct {
    PyObject_HEAD
    int kind;
    int strict;
    int flag;           /* K_LIST: an empty list fits; K_DICT: every field has an exact type */
    PyObject *types;    /* K_LEAF: tuple of types; K_FORMAT: plain types; K_DICT: field types */
    PyObject *keys;     /* K_DICT: recorded keys; K_ARGS: names; K_SELF: the type path */
    PyObject *plain;    /* K_DICT: tuple of (index, type) */
    PyObject *formats;  /* K_DICT: tuple of (index, type, label); K_FORMAT: {type: labels} */
    PyObject *children; /* K_DICT: tuple of (index, Check); K_LIST: (Check,); K_TUPLE, K_ARGS */
    PyObject *python;   /* K_PYTHON: the Python check; K_DICT: its Python twin (lazy) */
    PyObject *last;     /* K_SELF: the last class that fitted */
    PyObject **plain_at; /* K_DICT: per field, its exact type when `plain` holds it, else
                          * NULL (borrowed from `plain`); NULL when the dict has no fields */
    vectorcallfunc vectorcall; /* Check_vectorcall: a call makes no tuple of its arguments */
} CheckObject;

static PyTypeObject CheckType;

/* Verdicts: 1 fits, 0 does not, -1 error. */
static int check_column(CheckObject *c, PyObject *column);
static int check_one(CheckObject *c, PyObject *value);

static int
call_python(PyObject *check, PyObject *column)
{
    PyObject *r = PyObject_CallOneArg(check, column);
    if (r == NULL)
        return -1;
    int ok = PyObject_IsTrue(r);
    Py_DECREF(r);
    return ok;
}

static int
call_python_one(PyObject *check, PyObject *value)
{
    PyObject *column = PyList_New(1);
    if (column == NULL)
        return -1;
    Py_INCREF(value);
    PyList_SET_ITEM(column, 0, value);
    int ok = call_python(check, column);
    Py_DECREF(column);
    return ok;
}

static int
in_types(PyObject *types, PyTypeObject *cls)
{
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(types); i++)
        if ((PyTypeObject *)PyTuple_GET_ITEM(types, i) == cls)
            return 1;
    return 0;
}

/* keeps(label, found): the value kept the recorded format class. */
static int
keeps(PyObject *label, PyObject *found, int strict)
{
    if (found == label)
        return 1;
    if (found != Py_None && label != Py_None) {
        int same = PyObject_RichCompareBool(found, label, Py_EQ);
        if (same != 0)
            return same;
    }
    if (strict || label == Py_None)
        return 0;
    PyObject *r = PyObject_CallFunctionObjArgs(label_fits_fn, label, found, NULL);
    if (r == NULL)
        return -1;
    int ok = PyObject_IsTrue(r);
    Py_DECREF(r);
    return ok;
}

/* One value of an exact leaf type keeps `label` (a value_check of formats). */
static int
value_keeps(PyObject *value, PyObject *label)
{
    PyObject *found = classify_one(value);
    if (found == NULL)
        return -1;
    int ok = keeps(label, found, 0);
    Py_DECREF(found);
    return ok;
}

/* K_FORMAT (conform._format_check): each value is of a plain leaf type of the union, or
 * keeps one of the format classes recorded for its type. */
static int
format_one(CheckObject *c, PyObject *value)
{
    PyTypeObject *cls = Py_TYPE(value);
    if (in_types(c->types, cls))
        return 1;
    PyObject *labels = PyDict_GetItemWithError(c->formats, (PyObject *)cls);
    if (labels == NULL)
        return PyErr_Occurred() ? -1 : 0;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(labels); i++) {
        PyObject *label = PyTuple_GET_ITEM(labels, i);
        if (label == Py_None) /* an observation: value_check is always True */
            return 1;
        int ok = value_keeps(value, label);
        if (ok != 0)
            return ok;
    }
    return 0;
}

static int
leaf_column(CheckObject *c, PyObject *column)
{
    Py_ssize_t n = PyList_GET_SIZE(column);
    Py_ssize_t ntypes = PyTuple_GET_SIZE(c->types);
    if (ntypes == 1) {
        PyTypeObject *only = (PyTypeObject *)PyTuple_GET_ITEM(c->types, 0);
        if (n == 0)
            return 0; /* set() == {only} is False */
        for (Py_ssize_t i = 0; i < n; i++)
            if (Py_TYPE(PyList_GET_ITEM(column, i)) != only)
                return 0;
        return 1;
    }
    /* found <= types (fit), found == types (strict) */
    unsigned long long seen = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyTypeObject *cls = Py_TYPE(PyList_GET_ITEM(column, i));
        Py_ssize_t k = 0;
        while (k < ntypes && (PyTypeObject *)PyTuple_GET_ITEM(c->types, k) != cls)
            k++;
        if (k == ntypes)
            return 0;
        if (k < 64)
            seen |= 1ULL << k;
    }
    if (!c->strict)
        return 1;
    for (Py_ssize_t k = 0; k < ntypes && k < 64; k++)
        if (!(seen & (1ULL << k)))
            return 0;
    return 1;
}

/* Every value of the column is exactly of type `cls`. */
static int
all_exact(PyObject *column, PyTypeObject *cls)
{
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(column); i++)
        if (Py_TYPE(PyList_GET_ITEM(column, i)) != cls)
            return 0;
    return 1;
}

/* The keys of a live dict equal the recorded tuple; -2: a key C does not compare. */
static int
same_keys(PyObject *value, PyObject *keys)
{
    Py_ssize_t n = PyTuple_GET_SIZE(keys), pos = 0, i = 0;
    PyObject *key, *item;
    if (PyDict_GET_SIZE(value) != n)
        return 0;
    while (PyDict_Next(value, &pos, &key, &item)) {
        PyObject *expected = PyTuple_GET_ITEM(keys, i++);
        if (key == expected)
            continue;
        if (!PyUnicode_CheckExact(key) || !PyUnicode_CheckExact(expected))
            return -2;
        if (PyUnicode_Compare(key, expected) != 0)
            return PyErr_Occurred() ? -1 : 0;
    }
    return 1;
}

static PyObject *
python_twin(CheckObject *c)
{
    return c->python; /* a callable over a column: compiled in Python when first called */
}

/* The values of a live dict whose keys are the recorded key objects, in order, held in
 * `values` (room for the recorded width): the count held, or -1 when a key is another
 * object or the size differs (nothing is then held; same_keys decides). One pass over
 * the dict where same_keys and a second walk took two. */
static Py_ssize_t
hold_identical(PyObject *value, PyObject *keys, PyObject **values)
{
    Py_ssize_t n = PyTuple_GET_SIZE(keys), pos = 0, held = 0;
    PyObject *key, *item;
    if (PyDict_GET_SIZE(value) != n)
        return -1;
    while (held < n && PyDict_Next(value, &pos, &key, &item)) {
        if (key != PyTuple_GET_ITEM(keys, held)) {
            for (Py_ssize_t i = 0; i < held; i++)
                Py_DECREF(values[i]);
            return -1;
        }
        Py_INCREF(item); /* held: a Python check below may run any code */
        values[held++] = item;
    }
    return held;
}

static int
dict_one(CheckObject *c, PyObject *value)
{
    if (Py_TYPE(value) != &PyDict_Type)
        return 0;
    Py_ssize_t n = PyTuple_GET_SIZE(c->keys);
    PyObject *stack[32];
    PyObject **values = stack;
    PyObject *owned = NULL;
    Py_ssize_t held = n <= 32 ? hold_identical(value, c->keys, stack) : -1;
    if (held < 0) {
        held = 0;
        int same = same_keys(value, c->keys);
        if (same == -2)
            return call_python_one(python_twin(c), value);
        if (same <= 0)
            return same;
    }
    if (held == n) {
        /* the values are held */
    }
    else if (n > 32) {
        owned = PyDict_Values(value);
        if (owned == NULL)
            return -1;
        values = PySequence_Fast_ITEMS(owned);
    }
    else {
        Py_ssize_t pos = 0;
        PyObject *key, *item;
        while (held < n && PyDict_Next(value, &pos, &key, &item)) {
            Py_INCREF(item); /* held: a Python check below may run any code */
            stack[held++] = item;
        }
    }
    int ok = 1;
    if (c->flag) {
        for (Py_ssize_t i = 0; i < n; i++)
            if ((PyObject *)Py_TYPE(values[i]) != PyTuple_GET_ITEM(c->types, i)) {
                ok = 0;
                goto done;
            }
    }
    else if (c->plain_at != NULL) {
        for (Py_ssize_t i = 0; i < n; i++)
            if (c->plain_at[i] != NULL && (PyObject *)Py_TYPE(values[i]) != c->plain_at[i]) {
                ok = 0;
                goto done;
            }
    }
    for (Py_ssize_t f = 0; f < PyTuple_GET_SIZE(c->formats); f++) {
        PyObject *entry = PyTuple_GET_ITEM(c->formats, f);
        Py_ssize_t index = PyLong_AsSsize_t(PyTuple_GET_ITEM(entry, 0));
        PyObject *found = values[index];
        if ((PyObject *)Py_TYPE(found) != PyTuple_GET_ITEM(entry, 1)) {
            ok = 0;
            goto done;
        }
        /* the value is held by the dict; classifying runs no code of the value */
        PyObject *label = classify_one(found);
        if (label == NULL) {
            ok = -1;
            goto done;
        }
        ok = keeps(PyTuple_GET_ITEM(entry, 2), label, c->strict);
        Py_DECREF(label);
        if (ok != 1)
            goto done;
    }
    for (Py_ssize_t d = 0; d < PyTuple_GET_SIZE(c->children); d++) {
        PyObject *entry = PyTuple_GET_ITEM(c->children, d);
        Py_ssize_t index = PyLong_AsSsize_t(PyTuple_GET_ITEM(entry, 0));
        ok = check_one((CheckObject *)PyTuple_GET_ITEM(entry, 1), values[index]);
        if (ok != 1)
            goto done;
    }
done:
    Py_XDECREF(owned);
    for (Py_ssize_t i = 0; i < held; i++)
        Py_DECREF(stack[i]);
    return ok;
}

/* The rows of a column whose keys are the recorded key objects, in order: one pass per
 * row compares each key by identity and the type of a plain field's value, and holds the
 * values in `cells[row * width + field]` when `cells` is given (the fields of formats
 * and nested values read them). -2 when a row's keys are other objects or it has another
 * size (nothing is then held; the general path decides, with the same verdict). A type
 * that differs is a 0 (nothing held) only once every row's keys were found identical: a
 * later row could send the general path to the Python twin. 1: the plain fields fit. */
static int
identical_rows(CheckObject *c, PyObject *column, PyObject **cells)
{
    Py_ssize_t n = PyList_GET_SIZE(column), width = PyTuple_GET_SIZE(c->keys), held = 0;
    PyObject **keys = &PyTuple_GET_ITEM(c->keys, 0);
    int ok = 1;
    for (Py_ssize_t r = 0; r < n; r++) {
        PyObject *row = PyList_GET_ITEM(column, r), *key, *item;
        Py_ssize_t pos = 0, k = 0;
        if (PyDict_GET_SIZE(row) != width) {
            ok = -2;
            break;
        }
        while (k < width && PyDict_Next(row, &pos, &key, &item)) {
            if (key != keys[k]) {
                ok = -2;
                goto release;
            }
            PyObject *cls = c->plain_at[k];
            if (ok == 1 && cls != NULL && (PyObject *)Py_TYPE(item) != cls)
                ok = 0;
            if (cells != NULL) {
                Py_INCREF(item); /* held: classifying may run Python code */
                cells[held++] = item;
            }
            k++;
        }
    }
release:
    if (ok == 1)
        return 1;
    for (Py_ssize_t i = 0; i < held; i++)
        Py_DECREF(cells[i]);
    return ok;
}

/* The fields of formats and nested values of a column of dicts (cells[row * width +
 * field], held by the caller), with the plain fields too unless `plain_done`. */
static int
column_fields(CheckObject *c, PyObject **cells, Py_ssize_t n, Py_ssize_t width, int plain_done)
{
    PyObject *fields = NULL;
    int ok = 0;
    for (Py_ssize_t p = 0; !plain_done && p < PyTuple_GET_SIZE(c->plain); p++) {
        PyObject *pair = PyTuple_GET_ITEM(c->plain, p);
        Py_ssize_t index = PyLong_AsSsize_t(PyTuple_GET_ITEM(pair, 0));
        PyObject *cls = PyTuple_GET_ITEM(pair, 1);
        for (Py_ssize_t r = 0; r < n; r++)
            if ((PyObject *)Py_TYPE(cells[r * width + index]) != cls)
                goto done;
    }
    for (Py_ssize_t f = 0; f < PyTuple_GET_SIZE(c->formats); f++) {
        PyObject *entry = PyTuple_GET_ITEM(c->formats, f);
        Py_ssize_t index = PyLong_AsSsize_t(PyTuple_GET_ITEM(entry, 0));
        PyTypeObject *cls = (PyTypeObject *)PyTuple_GET_ITEM(entry, 1);
        PyObject *label = PyTuple_GET_ITEM(entry, 2);
        for (Py_ssize_t r = 0; r < n; r++)
            if (Py_TYPE(cells[r * width + index]) != cls)
                goto done;
        if (c->strict) {
            /* column_leaf_union(cls, field)[0][1:] == ((label,) if label else ()) */
            PyObject *shared = cells_label(cls, cells + index, n, width);
            if (shared == NULL) {
                ok = -1;
                goto done;
            }
            int same = shared == label ? 1 : 0;
            if (!same && shared != Py_None && label != Py_None)
                same = PyObject_RichCompareBool(shared, label, Py_EQ);
            Py_DECREF(shared);
            if (same != 1) {
                ok = same;
                goto done;
            }
        }
        else {
            for (Py_ssize_t r = 0; r < n; r++) {
                PyObject *found = classify_one(cells[r * width + index]);
                if (found == NULL) {
                    ok = -1;
                    goto done;
                }
                int kept = keeps(label, found, 0);
                Py_DECREF(found);
                if (kept != 1) {
                    ok = kept;
                    goto done;
                }
            }
        }
    }
    Py_ssize_t deeper = PyTuple_GET_SIZE(c->children);
    if (deeper) {
        fields = PyTuple_New(deeper);
        if (fields == NULL) {
            ok = -1;
            goto done;
        }
        for (Py_ssize_t d = 0; d < deeper; d++) {
            Py_ssize_t index =
                PyLong_AsSsize_t(PyTuple_GET_ITEM(PyTuple_GET_ITEM(c->children, d), 0));
            PyObject *values = PyList_New(n);
            if (values == NULL) {
                ok = -1;
                goto done;
            }
            for (Py_ssize_t r = 0; r < n; r++) {
                PyObject *item = cells[r * width + index];
                Py_INCREF(item);
                PyList_SET_ITEM(values, r, item);
            }
            PyTuple_SET_ITEM(fields, d, values);
        }
        for (Py_ssize_t d = 0; d < deeper; d++) {
            CheckObject *check = (CheckObject *)PyTuple_GET_ITEM(PyTuple_GET_ITEM(c->children, d), 1);
            int fits = check_column(check, PyTuple_GET_ITEM(fields, d));
            if (fits != 1) {
                ok = fits;
                goto done;
            }
        }
    }
    ok = 1;
done:
    Py_XDECREF(fields);
    return ok;
}

static int
dict_column(CheckObject *c, PyObject *column)
{
    Py_ssize_t n = PyList_GET_SIZE(column);
    if (n == 1)
        return dict_one(c, PyList_GET_ITEM(column, 0));
    if (n == 0 || !all_exact(column, &PyDict_Type))
        return 0; /* set() != {dict} */
    Py_ssize_t width = PyTuple_GET_SIZE(c->keys);
    int nested = PyTuple_GET_SIZE(c->formats) || PyTuple_GET_SIZE(c->children);
    /* cells[row * width + field], held; the deeper fields get lists of their own */
    PyObject *stack[256];
    PyObject **cells = stack;
    if (width && n * width > 256) {
        cells = PyMem_Malloc(sizeof(PyObject *) * (size_t)(n * width));
        if (cells == NULL) {
            PyErr_NoMemory();
            return -1;
        }
    }
    int ok = width ? identical_rows(c, column, nested ? cells : NULL) : -2;
    if (ok == 1 && nested) {
        ok = column_fields(c, cells, n, width, 1);
        goto release;
    }
    if (ok != -2)
        goto free;
    for (Py_ssize_t i = 0; i < n; i++) {
        int same = same_keys(PyList_GET_ITEM(column, i), c->keys);
        if (same == -2)
            ok = call_python(python_twin(c), column);
        if (same <= 0) {
            ok = same == -2 ? ok : same;
            goto free;
        }
    }
    if (width == 0) {
        ok = 1;
        goto free;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t pos = 0, k = 0;
        PyObject *key, *item;
        while (k < width && PyDict_Next(PyList_GET_ITEM(column, i), &pos, &key, &item)) {
            Py_INCREF(item); /* held: classifying may run Python code */
            cells[i * width + k++] = item;
        }
        for (; k < width; k++) { /* cannot happen: the keys were just compared */
            Py_INCREF(Py_None);
            cells[i * width + k] = Py_None;
        }
    }
    ok = column_fields(c, cells, n, width, 0);
release:
    for (Py_ssize_t i = 0; i < n * width; i++)
        Py_DECREF(cells[i]);
free:
    if (cells != stack)
        PyMem_Free(cells);
    return ok;
}

static int
list_one(CheckObject *c, PyObject *value)
{
    if (Py_TYPE(value) != &PyList_Type)
        return 0;
    if (PyList_GET_SIZE(value) == 0)
        return c->flag;
    CheckObject *each = (CheckObject *)PyTuple_GET_ITEM(c->children, 0);
    if (each->kind == K_LEAF || each->kind == K_ALWAYS || each->kind == K_EMPTY)
        return check_column(each, value); /* no code runs: the list itself is the column */
    if (each->kind == K_DICT && PyList_GET_SIZE(value) > 1 && each->plain_at != NULL &&
        !PyTuple_GET_SIZE(each->formats) && !PyTuple_GET_SIZE(each->children)) {
        /* rows of plain fields: the one pass runs no code either (dict_column's order) */
        if (!all_exact(value, &PyDict_Type))
            return 0;
        int fast = identical_rows(each, value, NULL);
        if (fast != -2)
            return fast;
    }
    /* a copy: a Python check below (or a finalizer it triggers) must not shrink it */
    PyObject *items = PyList_GetSlice(value, 0, PyList_GET_SIZE(value));
    if (items == NULL)
        return -1;
    int ok = check_column((CheckObject *)PyTuple_GET_ITEM(c->children, 0), items);
    Py_DECREF(items);
    return ok;
}

static int
list_column(CheckObject *c, PyObject *column)
{
    Py_ssize_t n = PyList_GET_SIZE(column);
    if (n == 1)
        return list_one(c, PyList_GET_ITEM(column, 0));
    if (n == 0 || !all_exact(column, &PyList_Type))
        return 0;
    PyObject *flat = PyList_New(0);
    if (flat == NULL)
        return -1;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (PyList_SetSlice(flat, PY_SSIZE_T_MAX, PY_SSIZE_T_MAX, PyList_GET_ITEM(column, i)) <
            0) {
            Py_DECREF(flat);
            return -1;
        }
    }
    int ok = PyList_GET_SIZE(flat)
                 ? check_column((CheckObject *)PyTuple_GET_ITEM(c->children, 0), flat)
                 : c->flag;
    Py_DECREF(flat);
    return ok;
}

static int
tuple_one(CheckObject *c, PyObject *value)
{
    Py_ssize_t length = PyTuple_GET_SIZE(c->children);
    if (Py_TYPE(value) != &PyTuple_Type || PyTuple_GET_SIZE(value) != length)
        return 0;
    for (Py_ssize_t i = 0; i < length; i++) {
        int ok = check_one((CheckObject *)PyTuple_GET_ITEM(c->children, i),
                           PyTuple_GET_ITEM(value, i));
        if (ok != 1)
            return ok;
    }
    return 1;
}

static int
tuple_column(CheckObject *c, PyObject *column)
{
    Py_ssize_t n = PyList_GET_SIZE(column), length = PyTuple_GET_SIZE(c->children);
    if (n == 1)
        return tuple_one(c, PyList_GET_ITEM(column, 0));
    if (n == 0)
        return 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *value = PyList_GET_ITEM(column, i);
        if (Py_TYPE(value) != &PyTuple_Type || PyTuple_GET_SIZE(value) != length)
            return 0;
    }
    for (Py_ssize_t p = 0; p < length; p++) {
        PyObject *values = PyList_New(n);
        if (values == NULL)
            return -1;
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *item = PyTuple_GET_ITEM(PyList_GET_ITEM(column, i), p);
            Py_INCREF(item);
            PyList_SET_ITEM(values, i, item);
        }
        int ok = check_column((CheckObject *)PyTuple_GET_ITEM(c->children, p), values);
        Py_DECREF(values);
        if (ok != 1)
            return ok;
    }
    return 1;
}

/* K_SELF (conform._self_check): the type path of the value's class (or of the class). */
static int
self_one(CheckObject *c, PyObject *value)
{
    /* PyType_Check reads the type only: never the value's __class__ (a proxy's code) */
    PyObject *cls = PyType_Check(value) ? value : (PyObject *)Py_TYPE(value);
    if (cls == c->last)
        return 1;
    PyObject *path = PyObject_CallOneArg(type_path_fn, cls);
    if (path == NULL)
        return -1;
    int ok = PyObject_RichCompareBool(path, c->keys, Py_EQ);
    Py_DECREF(path);
    if (ok == 1) {
        Py_INCREF(cls);
        Py_XSETREF(c->last, cls);
    }
    return ok;
}

/* K_STRICT_FORMAT (conform._strict_format_check of one leaf): the values are of the
 * leaf's type and, as a column, have exactly its format class (None: no class). */
static int
same_label(PyObject *found, PyObject *label)
{
    if (found == label)
        return 1;
    if (found == Py_None || label == Py_None)
        return 0;
    return PyObject_RichCompareBool(found, label, Py_EQ);
}

static int
strict_format_one(CheckObject *c, PyObject *value)
{
    if ((PyObject *)Py_TYPE(value) != c->types)
        return 0;
    PyObject *found = classify_one(value);
    if (found == NULL)
        return -1;
    int ok = same_label(found, c->keys);
    Py_DECREF(found);
    return ok;
}

static int
strict_format_column(CheckObject *c, PyObject *column)
{
    Py_ssize_t n = PyList_GET_SIZE(column);
    if (n == 1)
        return strict_format_one(c, PyList_GET_ITEM(column, 0));
    if (n == 0)
        return 0;
    for (Py_ssize_t i = 0; i < n; i++)
        if ((PyObject *)Py_TYPE(PyList_GET_ITEM(column, i)) != c->types)
            return 0;
    PyObject *shared = cells_label((PyTypeObject *)c->types, PySequence_Fast_ITEMS(column), n, 1);
    if (shared == NULL)
        return -1;
    int ok = same_label(shared, c->keys);
    Py_DECREF(shared);
    return ok;
}

/* K_CLOCK (conform._clock_check): an exact datetime or time, aware or naive. */
static int
clock_one(CheckObject *c, PyObject *value)
{
    if ((PyObject *)Py_TYPE(value) != c->types)
        return 0;
    return has_tzinfo(value) == c->flag;
}

static int
check_one(CheckObject *c, PyObject *value)
{
    switch (c->kind) {
    case K_CLOCK:
        return clock_one(c, value);
    case K_STRICT_FORMAT:
        return strict_format_one(c, value);
    case K_ALWAYS:
        return 1;
    case K_EMPTY:
        return 0;
    case K_LEAF:
        if (PyTuple_GET_SIZE(c->types) == 1)
            return Py_TYPE(value) == (PyTypeObject *)PyTuple_GET_ITEM(c->types, 0);
        if (!in_types(c->types, Py_TYPE(value)))
            return 0;
        return c->strict ? PyTuple_GET_SIZE(c->types) == 1 : 1;
    case K_FORMAT:
        return format_one(c, value);
    case K_DICT:
        return dict_one(c, value);
    case K_LIST:
        return list_one(c, value);
    case K_TUPLE:
        return tuple_one(c, value);
    case K_SELF:
        return self_one(c, value);
    default:
        return call_python_one(c->python, value);
    }
}

static int
check_column(CheckObject *c, PyObject *column)
{
    switch (c->kind) {
    case K_STRICT_FORMAT:
        return strict_format_column(c, column);
    case K_CLOCK:
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(column); i++)
            if (!clock_one(c, PyList_GET_ITEM(column, i)))
                return 0;
        return 1;
    case K_ALWAYS:
        return 1;
    case K_EMPTY:
        return PyList_GET_SIZE(column) == 0;
    case K_LEAF:
        return leaf_column(c, column);
    case K_FORMAT:
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(column); i++) {
            int ok = format_one(c, PyList_GET_ITEM(column, i));
            if (ok != 1)
                return ok;
        }
        return 1;
    case K_DICT:
        return dict_column(c, column);
    case K_LIST:
        return list_column(c, column);
    case K_TUPLE:
        return tuple_column(c, column);
    case K_SELF:
        return self_one(c, PyList_GET_ITEM(column, 0));
    default:
        return call_python(c->python, column);
    }
}

static int
args_check(CheckObject *c, PyObject *names, PyObject *values)
{
    if (names != c->keys) {
        int same = PyObject_RichCompareBool(names, c->keys, Py_EQ);
        if (same != 1)
            return same;
    }
    PyObject *seq = PySequence_Fast(values, "values must be a sequence");
    if (seq == NULL)
        return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    int ok = 1;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (i >= PyTuple_GET_SIZE(c->children)) {
            PyErr_SetString(PyExc_IndexError, "list index out of range");
            ok = -1;
            break;
        }
        ok = check_one((CheckObject *)PyTuple_GET_ITEM(c->children, i),
                       PySequence_Fast_ITEMS(seq)[i]);
        if (ok != 1)
            break;
    }
    Py_DECREF(seq);
    return ok;
}

static PyObject *
Check_call(CheckObject *c, PyObject *args, PyObject *kwargs)
{
    int ok;
    if (c->kind == K_ARGS) {
        PyObject *names, *values;
        if (!PyArg_UnpackTuple(args, "Check", 2, 2, &names, &values))
            return NULL;
        ok = args_check(c, names, values);
    }
    else {
        PyObject *column;
        if (!PyArg_UnpackTuple(args, "Check", 1, 1, &column))
            return NULL;
        if (!PyList_CheckExact(column)) {
            PyObject *list = PySequence_List(column);
            if (list == NULL)
                return NULL;
            ok = check_column(c, list);
            Py_DECREF(list);
        }
        else
            ok = check_column(c, column);
    }
    if (ok < 0)
        return NULL;
    return PyBool_FromLong(ok);
}

/* `check(column)` / `check(names, values)` without a tuple of the arguments. */
static PyObject *
Check_vectorcall(PyObject *op, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    CheckObject *c = (CheckObject *)op;
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    Py_ssize_t wanted = c->kind == K_ARGS ? 2 : 1;
    if (nargs != wanted || (kwnames != NULL && PyTuple_GET_SIZE(kwnames))) {
        PyErr_Format(PyExc_TypeError, "Check expected %zd positional arguments, got %zd",
                     wanted, nargs);
        return NULL;
    }
    int ok;
    if (c->kind == K_ARGS)
        ok = args_check(c, args[0], args[1]);
    else if (PyList_CheckExact(args[0]))
        ok = check_column(c, args[0]);
    else {
        PyObject *list = PySequence_List(args[0]);
        if (list == NULL)
            return NULL;
        ok = check_column(c, list);
        Py_DECREF(list);
    }
    if (ok < 0)
        return NULL;
    return PyBool_FromLong(ok);
}

static int
Check_traverse(CheckObject *c, visitproc visit, void *arg)
{
    Py_VISIT(c->types);
    Py_VISIT(c->keys);
    Py_VISIT(c->plain);
    Py_VISIT(c->formats);
    Py_VISIT(c->children);
    Py_VISIT(c->python);
    Py_VISIT(c->last);
    return 0;
}

static int
Check_clear(CheckObject *c)
{
    Py_CLEAR(c->types);
    Py_CLEAR(c->keys);
    Py_CLEAR(c->plain);
    Py_CLEAR(c->formats);
    Py_CLEAR(c->children);
    Py_CLEAR(c->python);
    Py_CLEAR(c->last);
    return 0;
}

static void
Check_dealloc(CheckObject *c)
{
    PyObject_GC_UnTrack(c);
    Check_clear(c);
    PyMem_Free(c->plain_at);
    Py_TYPE(c)->tp_free((PyObject *)c);
}

static PyTypeObject CheckType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "seamrec.model._speedups.Check",
    .tp_basicsize = sizeof(CheckObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "A compiled conformance check (built by seamrec.model.accel).",
    .tp_call = (ternaryfunc)Check_call,
    .tp_vectorcall_offset = offsetof(CheckObject, vectorcall),
    .tp_traverse = (traverseproc)Check_traverse,
    .tp_clear = (inquiry)Check_clear,
    .tp_dealloc = (destructor)Check_dealloc,
};

static PyObject *
new_check(int kind, int strict, int flag, PyObject *types, PyObject *keys, PyObject *plain,
          PyObject *formats, PyObject *children, PyObject *python)
{
    CheckObject *c = PyObject_GC_New(CheckObject, &CheckType);
    if (c == NULL)
        return NULL;
    c->kind = kind;
    c->strict = strict;
    c->flag = flag;
    PyObject *given[6] = {types, keys, plain, formats, children, python};
    PyObject **slots[6] = {&c->types, &c->keys, &c->plain, &c->formats, &c->children,
                           &c->python};
    for (int i = 0; i < 6; i++) {
        Py_XINCREF(given[i]);
        *slots[i] = given[i];
    }
    c->last = NULL;
    c->plain_at = NULL;
    c->vectorcall = Check_vectorcall;
    PyObject_GC_Track(c);
    return (PyObject *)c;
}

static int
all_checks(PyObject *tuple, int pairs)
{
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(tuple); i++) {
        PyObject *item = PyTuple_GET_ITEM(tuple, i);
        if (pairs) {
            if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2 ||
                !PyLong_Check(PyTuple_GET_ITEM(item, 0)))
                goto bad;
            item = PyTuple_GET_ITEM(item, 1);
        }
        if (Py_TYPE(item) != &CheckType)
            goto bad;
    }
    return 1;
bad:
    PyErr_SetString(PyExc_TypeError, "expected Check nodes");
    return 0;
}

static PyObject *
make_always(PyObject *m, PyObject *noargs)
{
    return new_check(K_ALWAYS, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL);
}

static PyObject *
make_empty(PyObject *m, PyObject *noargs)
{
    return new_check(K_EMPTY, 1, 0, NULL, NULL, NULL, NULL, NULL, NULL);
}

static PyObject *
make_leaf(PyObject *m, PyObject *args)
{
    PyObject *types;
    int strict;
    if (!PyArg_ParseTuple(args, "O!p", &PyTuple_Type, &types, &strict))
        return NULL;
    if (PyTuple_GET_SIZE(types) == 0 || PyTuple_GET_SIZE(types) > 64) {
        PyErr_SetString(PyExc_ValueError, "1 to 64 leaf types");
        return NULL;
    }
    return new_check(K_LEAF, strict, 0, types, NULL, NULL, NULL, NULL, NULL);
}

static PyObject *
make_format(PyObject *m, PyObject *args)
{
    PyObject *plain, *labels;
    if (!PyArg_ParseTuple(args, "O!O!", &PyTuple_Type, &plain, &PyDict_Type, &labels))
        return NULL;
    return new_check(K_FORMAT, 0, 0, plain, NULL, NULL, labels, NULL, NULL);
}

static PyObject *
make_dict(PyObject *m, PyObject *args)
{
    PyObject *keys, *types, *plain, *formats, *deeper, *python;
    int exact, strict;
    if (!PyArg_ParseTuple(args, "O!O!pO!O!O!pO", &PyTuple_Type, &keys, &PyTuple_Type, &types,
                          &exact, &PyTuple_Type, &plain, &PyTuple_Type, &formats,
                          &PyTuple_Type, &deeper, &strict, &python))
        return NULL;
    if (PyTuple_GET_SIZE(types) != PyTuple_GET_SIZE(keys) || !all_checks(deeper, 1))
        return NULL;
    Py_ssize_t width = PyTuple_GET_SIZE(keys);
    for (Py_ssize_t p = 0; p < PyTuple_GET_SIZE(plain); p++) {
        PyObject *pair = PyTuple_GET_ITEM(plain, p);
        Py_ssize_t index;
        if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2 ||
            (index = PyLong_AsSsize_t(PyTuple_GET_ITEM(pair, 0))) < 0 || index >= width) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_ValueError, "plain: (index, type) pairs of the keys");
            return NULL;
        }
    }
    /* the keys interned: a live dict's keys written in code are the interned strings, a
     * recorded shape's (decoded from a cassette) are not; the one pass compares by
     * identity, same_keys by value (an equal string either way) */
    PyObject *interned = PyTuple_New(width);
    if (interned == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < width; i++) {
        PyObject *key = PyTuple_GET_ITEM(keys, i);
        Py_INCREF(key);
        if (PyUnicode_CheckExact(key))
            PyUnicode_InternInPlace(&key);
        PyTuple_SET_ITEM(interned, i, key);
    }
    CheckObject *c = (CheckObject *)new_check(K_DICT, strict, exact, types, interned, plain,
                                              formats, deeper, python);
    Py_DECREF(interned);
    if (c == NULL || width == 0)
        return (PyObject *)c;
    c->plain_at = PyMem_Calloc((size_t)width, sizeof(PyObject *));
    if (c->plain_at == NULL) {
        Py_DECREF(c);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t p = 0; p < PyTuple_GET_SIZE(plain); p++) {
        PyObject *pair = PyTuple_GET_ITEM(plain, p);
        c->plain_at[PyLong_AsSsize_t(PyTuple_GET_ITEM(pair, 0))] = PyTuple_GET_ITEM(pair, 1);
    }
    return (PyObject *)c;
}

static PyObject *
make_list(PyObject *m, PyObject *args)
{
    PyObject *items;
    int empty_fits;
    if (!PyArg_ParseTuple(args, "O!p", &CheckType, &items, &empty_fits))
        return NULL;
    PyObject *children = PyTuple_Pack(1, items);
    if (children == NULL)
        return NULL;
    PyObject *c = new_check(K_LIST, 0, empty_fits, NULL, NULL, NULL, NULL, children, NULL);
    Py_DECREF(children);
    return c;
}

static PyObject *
make_tuple(PyObject *m, PyObject *args)
{
    PyObject *positions;
    if (!PyArg_ParseTuple(args, "O!", &PyTuple_Type, &positions) || !all_checks(positions, 0))
        return NULL;
    return new_check(K_TUPLE, 0, 0, NULL, NULL, NULL, NULL, positions, NULL);
}

static PyObject *
make_self(PyObject *m, PyObject *args)
{
    PyObject *name;
    if (!PyArg_ParseTuple(args, "O", &name))
        return NULL;
    return new_check(K_SELF, 0, 0, NULL, name, NULL, NULL, NULL, NULL);
}

static PyObject *
make_strict_format(PyObject *m, PyObject *args)
{
    PyObject *cls, *label;
    if (!PyArg_ParseTuple(args, "OO", &cls, &label))
        return NULL;
    if (!PyType_Check(cls) || !is_format_type((PyTypeObject *)cls) ||
        (label != Py_None && !PyUnicode_CheckExact(label))) {
        PyErr_SetString(PyExc_TypeError, "str, bytes, int or float, and a label or None");
        return NULL;
    }
    return new_check(K_STRICT_FORMAT, 1, 0, cls, label, NULL, NULL, NULL, NULL);
}

static PyObject *
make_clock(PyObject *m, PyObject *args)
{
    PyObject *cls;
    int aware;
    if (!PyArg_ParseTuple(args, "Op", &cls, &aware))
        return NULL;
    if (cls != (PyObject *)PyDateTimeAPI->DateTimeType &&
        cls != (PyObject *)PyDateTimeAPI->TimeType) {
        PyErr_SetString(PyExc_TypeError, "datetime.datetime or datetime.time");
        return NULL;
    }
    return new_check(K_CLOCK, 0, aware, cls, NULL, NULL, NULL, NULL, NULL);
}

static PyObject *
make_args(PyObject *m, PyObject *args)
{
    PyObject *names, *checks;
    if (!PyArg_ParseTuple(args, "O!O!", &PyTuple_Type, &names, &PyTuple_Type, &checks) ||
        !all_checks(checks, 0))
        return NULL;
    return new_check(K_ARGS, 0, 0, NULL, names, NULL, NULL, checks, NULL);
}

static PyObject *
make_python(PyObject *m, PyObject *check)
{
    if (!PyCallable_Check(check)) {
        PyErr_SetString(PyExc_TypeError, "a callable check");
        return NULL;
    }
    return new_check(K_PYTHON, 0, 0, NULL, NULL, NULL, NULL, NULL, check);
}

/* ------------------------------------------------------------------ payload keys */

/* TreeKey(tree): a recorded payload tree (the decoded msgpack of a cassette: None, bool,
 * int, float, str, bytes, lists, dicts, ext values) as a dict key. Two keys are equal
 * exactly when the trees pack to the same bytes (seamrec.model.codec.pack, the pure
 * twin and reference): the same types at the same places (1, 1.0 and True differ),
 * floats by their bits (-0.0 is not 0.0; a NaN is its own), dicts in their order. A
 * type other than those is compared by its own hash and == (raises if unhashable). */
#define TREE_KEY_DEPTH 64

typedef struct {
    PyObject_HEAD PyObject *tree;
    Py_hash_t hash;
} TreeKeyObject;

static PyTypeObject TreeKeyType;

static Py_uhash_t
mix(Py_uhash_t h, Py_uhash_t part)
{
    return (h ^ part) * 1000003UL + 0x9e3779b9UL;
}

/* 0 and the hash in *out, or -1 with an exception set */
static int
tree_hash(PyObject *v, int depth, Py_uhash_t *out)
{
    PyTypeObject *cls = Py_TYPE(v);
    Py_uhash_t h = (Py_uhash_t)(size_t)cls;
    if (depth > TREE_KEY_DEPTH) {
        PyErr_SetString(PyExc_ValueError, "a payload tree too deep for a key");
        return -1;
    }
    if (cls == &PyFloat_Type) {
        double d = PyFloat_AS_DOUBLE(v);
        unsigned long long bits;
        memcpy(&bits, &d, sizeof bits);
        *out = mix(h, (Py_uhash_t)(bits ^ (bits >> 32)));
        return 0;
    }
    if (v == Py_None || cls == &PyBool_Type) {
        *out = mix(h, (Py_uhash_t)(size_t)v);
        return 0;
    }
    if (cls == &PyList_Type || PyTuple_Check(v)) {
        Py_ssize_t size = PySequence_Fast_GET_SIZE(v);
        PyObject **items = PySequence_Fast_ITEMS(v);
        h = mix(h, (Py_uhash_t)size);
        for (Py_ssize_t i = 0; i < size; i++) {
            Py_uhash_t part;
            if (tree_hash(items[i], depth + 1, &part) < 0)
                return -1;
            h = mix(h, part);
        }
        *out = h;
        return 0;
    }
    if (cls == &PyDict_Type) {
        PyObject *key, *item;
        Py_ssize_t position = 0;
        h = mix(h, (Py_uhash_t)PyDict_GET_SIZE(v));
        while (PyDict_Next(v, &position, &key, &item)) {
            Py_uhash_t part;
            if (tree_hash(key, depth + 1, &part) < 0)
                return -1;
            h = mix(h, part);
            if (tree_hash(item, depth + 1, &part) < 0)
                return -1;
            h = mix(h, part);
        }
        *out = h;
        return 0;
    }
    Py_hash_t own = PyObject_Hash(v); /* str, bytes, int: their own (cached for str) */
    if (own == -1 && PyErr_Occurred())
        return -1;
    *out = mix(h, (Py_uhash_t)own);
    return 0;
}

/* 1 the same tree, 0 not, -1 error */
static int
tree_same(PyObject *a, PyObject *b, int depth)
{
    if (a == b)
        return 1;
    PyTypeObject *cls = Py_TYPE(a);
    if (cls != Py_TYPE(b))
        return 0;
    if (depth > TREE_KEY_DEPTH) {
        PyErr_SetString(PyExc_ValueError, "a payload tree too deep for a key");
        return -1;
    }
    if (cls == &PyFloat_Type) {
        double x = PyFloat_AS_DOUBLE(a), y = PyFloat_AS_DOUBLE(b);
        return memcmp(&x, &y, sizeof x) == 0;
    }
    if (cls == &PyList_Type || PyTuple_Check(a)) {
        Py_ssize_t size = PySequence_Fast_GET_SIZE(a);
        if (size != PySequence_Fast_GET_SIZE(b))
            return 0;
        PyObject **xs = PySequence_Fast_ITEMS(a), **ys = PySequence_Fast_ITEMS(b);
        for (Py_ssize_t i = 0; i < size; i++) {
            int same = tree_same(xs[i], ys[i], depth + 1);
            if (same != 1)
                return same;
        }
        return 1;
    }
    if (cls == &PyDict_Type) {
        PyObject *k1, *v1, *k2, *v2;
        Py_ssize_t p1 = 0, p2 = 0;
        if (PyDict_GET_SIZE(a) != PyDict_GET_SIZE(b))
            return 0;
        while (PyDict_Next(a, &p1, &k1, &v1)) {
            if (!PyDict_Next(b, &p2, &k2, &v2))
                return 0;
            int same = tree_same(k1, k2, depth + 1);
            if (same == 1)
                same = tree_same(v1, v2, depth + 1);
            if (same != 1)
                return same;
        }
        return 1;
    }
    return PyObject_RichCompareBool(a, b, Py_EQ);
}

static PyObject *
treekey_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyObject *tree;
    Py_uhash_t h;
    if (!PyArg_ParseTuple(args, "O", &tree) || tree_hash(tree, 0, &h) < 0)
        return NULL;
    TreeKeyObject *self = (TreeKeyObject *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    Py_INCREF(tree);
    self->tree = tree;
    self->hash = (Py_hash_t)h == -1 ? -2 : (Py_hash_t)h;
    return (PyObject *)self;
}

static void
treekey_dealloc(TreeKeyObject *self)
{
    Py_XDECREF(self->tree);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static Py_hash_t
treekey_hash(TreeKeyObject *self)
{
    return self->hash;
}

static PyObject *
treekey_richcompare(PyObject *a, PyObject *b, int op)
{
    if (!PyObject_TypeCheck(b, &TreeKeyType) || (op != Py_EQ && op != Py_NE))
        Py_RETURN_NOTIMPLEMENTED;
    TreeKeyObject *x = (TreeKeyObject *)a, *y = (TreeKeyObject *)b;
    int same = x->hash == y->hash ? tree_same(x->tree, y->tree, 0) : 0;
    if (same < 0)
        return NULL;
    return PyBool_FromLong(op == Py_EQ ? same : !same);
}

static PyTypeObject TreeKeyType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "seamrec.model._speedups.TreeKey",
    .tp_basicsize = sizeof(TreeKeyObject),
    .tp_dealloc = (destructor)treekey_dealloc,
    .tp_hash = (hashfunc)treekey_hash,
    .tp_richcompare = treekey_richcompare,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "TreeKey(tree): a payload tree as a key, equal where its packed bytes are.",
    .tp_new = treekey_new,
};

/* ------------------------------------------------------------------ replayed copies */

/* fresh_copy(value): a fresh copy of a replayed value that runtime.rebuild's copy plan
 * (_copy_plan) hands out by copying (its pure twin and reference): exact lists, dicts,
 * sets and bytearrays are new objects; a tuple is new only when it holds one of those;
 * anything else (the immutable leaves, enum members, frozensets of immutables) is
 * shared. Only ever called on a value that plan accepted, so every other object in it
 * is immutable, and its depth is bounded by the plan's. */
static int
is_copied(PyTypeObject *cls)
{
    return cls == &PyList_Type || cls == &PyDict_Type || cls == &PyTuple_Type ||
           cls == &PySet_Type || cls == &PyByteArray_Type;
}

static PyObject *
fresh_copy(PyObject *m, PyObject *value)
{
    PyTypeObject *cls = Py_TYPE(value);
    PyObject *copy = NULL;
    if (!is_copied(cls)) {
        Py_INCREF(value);
        return value;
    }
    if (Py_EnterRecursiveCall(" in a replayed copy"))
        return NULL;
    if (cls == &PyList_Type) {
        Py_ssize_t size = PyList_GET_SIZE(value);
        copy = PyList_New(size);
        for (Py_ssize_t i = 0; copy != NULL && i < size; i++) {
            PyObject *item = fresh_copy(m, PyList_GET_ITEM(value, i));
            if (item == NULL)
                Py_CLEAR(copy);
            else
                PyList_SET_ITEM(copy, i, item);
        }
    }
    else if (cls == &PyTuple_Type) {
        Py_ssize_t size = PyTuple_GET_SIZE(value);
        int changed = 0;
        copy = PyTuple_New(size);
        for (Py_ssize_t i = 0; copy != NULL && i < size; i++) {
            PyObject *item = fresh_copy(m, PyTuple_GET_ITEM(value, i));
            if (item == NULL) {
                Py_CLEAR(copy);
                break;
            }
            changed |= item != PyTuple_GET_ITEM(value, i);
            PyTuple_SET_ITEM(copy, i, item);
        }
        if (copy != NULL && !changed) {
            Py_DECREF(copy);
            Py_INCREF(value);
            copy = value;
        }
    }
    else if (cls == &PyDict_Type) {
        /* the dict's own copy (its table cloned: no key hashed), then the values that
         * are copied too, replaced in place (the keys stay) */
        PyObject *key, *item;
        Py_ssize_t position = 0;
        copy = PyDict_Copy(value);
        while (copy != NULL && PyDict_Next(value, &position, &key, &item)) {
            if (!is_copied(Py_TYPE(item)))
                continue;
            PyObject *fresh = fresh_copy(m, item);
            if (fresh == NULL || (fresh != item && PyDict_SetItem(copy, key, fresh) < 0))
                Py_CLEAR(copy);
            Py_XDECREF(fresh);
        }
    }
    else if (cls == &PySet_Type)
        copy = PySet_New(value);
    else
        copy = PyByteArray_FromObject(value);
    Py_LeaveRecursiveCall();
    return copy;
}

static PyMethodDef methods[] = {
    {"configure", configure, METH_VARARGS,
     "configure(classify, text_cache, classify_bytes, classify_number, label_fits, "
     "column_leaf_union, format_union, type_path, sort_keysets, leaf_unions)"},
    {"always", make_always, METH_NOARGS, "A check every column fits."},
    {"empty", make_empty, METH_NOARGS, "A check only the empty column fits."},
    {"leaf", make_leaf, METH_VARARGS, "leaf(types, strict): conform._leaf_check."},
    {"format", make_format, METH_VARARGS, "format(plain, labels): conform._format_check."},
    {"dict_check", make_dict, METH_VARARGS,
     "dict_check(keys, types, exact, plain, formats, deeper, strict, python)"},
    {"list_check", make_list, METH_VARARGS, "list_check(items, empty_fits)"},
    {"tuple_check", make_tuple, METH_VARARGS, "tuple_check(positions)"},
    {"self_check", make_self, METH_VARARGS, "self_check(type_path)"},
    {"strict_format", make_strict_format, METH_VARARGS,
     "strict_format(cls, label): conform._strict_format_check of one leaf."},
    {"clock_check", make_clock, METH_VARARGS, "clock_check(cls, aware): conform._clock_check."},
    {"args_check", make_args, METH_VARARGS, "args_check(names, checks)"},
    {"python_check", make_python, METH_O, "python_check(check): a Python check as a node."},
    {"classify_text", py_classify_text, METH_O,
     "classify_text(text): formats.classify(text) as the compiled checks and walker get it."},
    {"surely_plain", surely_plain_text, METH_O,
     "surely_plain(text): C decides that formats.classify(text) is None, without the cache."},
    {"untrack", py_untrack, METH_O,
     "untrack(shape): shape, its tuples untracked by the garbage collector where a "
     "collection would untrack them (items first)."},
    {"fresh_copy", fresh_copy, METH_O,
     "fresh_copy(value): runtime.rebuild's copy plan of a replayed value, made in C."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "seamrec.model._speedups",
    "The compiled hot path of seamrec (shape walk and conformance checks).", -1, methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    if (PyType_Ready(&WalkerType) < 0 || PyType_Ready(&CheckType) < 0 ||
        PyType_Ready(&TreeKeyType) < 0)
        return NULL;
    PyDateTime_IMPORT;
    if (PyDateTimeAPI == NULL)
        return NULL;
    union_cache = PyDict_New();
    s_naive_datetime = Py_BuildValue("(s)", "datetime");
    s_aware_datetime = Py_BuildValue("(s)", "datetime+tz");
    s_naive_time = Py_BuildValue("(s)", "time");
    s_aware_time = Py_BuildValue("(s)", "time+tz");
    s_too_large = Py_BuildValue("((ss))", "cut", "budget");
    if (!s_naive_datetime || !s_aware_datetime || !s_naive_time || !s_aware_time || !s_too_large)
        return NULL;
    s_dict = PyUnicode_InternFromString("dict");
    s_coll = PyUnicode_InternFromString("coll");
    s_list = PyUnicode_InternFromString("list");
    s_tuple = PyUnicode_InternFromString("tuple");
    s_map = PyUnicode_InternFromString("map");
    if (union_cache == NULL || !s_dict || !s_coll || !s_list || !s_tuple || !s_map)
        return NULL;
    PyObject *m = PyModule_Create(&module_def);
    if (m == NULL)
        return NULL;
    Py_INCREF(&WalkerType);
    Py_INCREF(&CheckType);
    Py_INCREF(&TreeKeyType);
    if (PyModule_AddObject(m, "Walker", (PyObject *)&WalkerType) < 0 ||
        PyModule_AddObject(m, "Check", (PyObject *)&CheckType) < 0 ||
        PyModule_AddObject(m, "TreeKey", (PyObject *)&TreeKeyType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
