/* seamrec.runtime.adapters._sqltokens: a SQL statement's tokens, in C.
 *
 * The twin of `sqltokens.reference_tokens` (the reference, and the fallback:
 * `SEAMREC_PURE=1` forces it), which runs the regex `sqltokens.TOKEN` over the text:
 * `[(m.lastgroup, m.group()) for m in TOKEN.finditer(sql) if m.lastgroup != "comment"]`.
 * The regex costs about 1,600 instructions a character (ten alternatives tried in
 * order at each token, a match object each); this walk reads each character once or
 * twice. It takes the alternatives in the regex's order, the first that matches wins,
 * with the regex's character classes for a str pattern (`\s` Py_UNICODE_ISSPACE, `\d`
 * Py_UNICODE_ISDECIMAL, `\w` Py_UNICODE_ISALNUM or `_`) and its backtracking where it
 * changes a match (an unclosed quote after doubled quotes, see `quoted`).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

typedef struct {
    int kind;
    const void *data;
    Py_ssize_t n;
} Text;

static Py_UCS4
at(const Text *t, Py_ssize_t i)
{
    return i < t->n ? PyUnicode_READ(t->kind, t->data, i) : 0;
}

static int
is_digit(const Text *t, Py_ssize_t i)
{
    return i < t->n && Py_UNICODE_ISDECIMAL(PyUnicode_READ(t->kind, t->data, i));
}

static int
is_word(const Text *t, Py_ssize_t i)
{
    if (i >= t->n)
        return 0;
    Py_UCS4 ch = PyUnicode_READ(t->kind, t->data, i);
    return ch == '_' || Py_UNICODE_ISALNUM(ch);
}

static int
is_ascii_letter(Py_UCS4 ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '_';
}

static Py_ssize_t
digits(const Text *t, Py_ssize_t i)
{
    while (is_digit(t, i))
        i++;
    return i;
}

/* `q(?:[^q]|qq)*q` from the opening quote at `i`: the end of the match, or -1. Greedy,
 * then backtracking: a text that never closes matches up to the first quote of its last
 * doubled pair (read as the closing quote), or not at all. */
static Py_ssize_t
quoted(const Text *t, Py_ssize_t i, Py_UCS4 q)
{
    Py_ssize_t j = i + 1, last_pair = -1;
    while (j < t->n) {
        if (at(t, j) != q)
            j++;
        else if (at(t, j + 1) == q) {
            last_pair = j;
            j += 2;
        }
        else
            return j + 1;
    }
    return last_pair >= 0 ? last_pair + 1 : -1;
}

typedef enum { WS, COMMENT, STR, QIDENT, CAST, PARAM, PCT, NUM, WORD, OTHER, KINDS } Kind;
static const char *kind_names[KINDS] = {"ws",    "comment", "str",  "qident", "cast",
                                        "param", "pct",     "num",  "word",   "other"};
static PyObject *kind_strs[KINDS];

/* The token at `i` (i < n): its kind, and its end in `*end`. */
static Kind
token(const Text *t, Py_ssize_t i, Py_ssize_t *end)
{
    Py_UCS4 ch = at(t, i), next = at(t, i + 1);
    Py_ssize_t j;
    if (Py_UNICODE_ISSPACE(ch)) {
        j = i + 1;
        while (j < t->n && Py_UNICODE_ISSPACE(at(t, j)))
            j++;
        *end = j;
        return WS;
    }
    if (ch == '-' && next == '-') {
        j = i + 2;
        while (j < t->n && at(t, j) != '\n')
            j++;
        *end = j;
        return COMMENT;
    }
    if (ch == '/' && next == '*') {
        for (j = i + 2; j + 1 < t->n; j++) {
            if (at(t, j) == '*' && at(t, j + 1) == '/') {
                *end = j + 2;
                return COMMENT;
            }
        }
    }
    if (ch == '\'' || ((ch == 'E' || ch == 'e') && next == '\'')) {
        j = quoted(t, ch == '\'' ? i : i + 1, '\'');
        if (j >= 0) {
            *end = j;
            return STR;
        }
    }
    if (ch == '"') {
        j = quoted(t, i, '"');
        if (j >= 0) {
            *end = j;
            return QIDENT;
        }
    }
    if (ch == '`') {
        for (j = i + 1; j < t->n; j++) {
            if (at(t, j) == '`') {
                *end = j + 1;
                return QIDENT;
            }
        }
    }
    if (ch == ':' && next == ':') {
        *end = i + 2;
        return CAST;
    }
    if (ch == '?') {
        *end = digits(t, i + 1);
        return PARAM;
    }
    if (ch == '%' && next == '(') {
        for (j = i + 2; j < t->n && at(t, j) != ')'; j++)
            ;
        if (j > i + 2 && j < t->n && at(t, j + 1) == 's') {
            *end = j + 2;
            return PARAM;
        }
    }
    if (ch == '%' && next == 's') {
        *end = i + 2;
        return PARAM;
    }
    if (ch == '$' && is_digit(t, i + 1)) {
        *end = digits(t, i + 1);
        return PARAM;
    }
    if (ch == ':' && is_ascii_letter(next)) {
        j = i + 2;
        while (is_word(t, j))
            j++;
        *end = j;
        return PARAM;
    }
    if (ch == '%' && next == '%') {
        *end = i + 2;
        return PCT;
    }
    if (is_digit(t, i) || (ch == '.' && is_digit(t, i + 1))) {
        j = digits(t, i + 1);
        if (ch != '.' && at(t, j) == '.')
            j = digits(t, j + 1);
        Py_UCS4 e = at(t, j);
        if (e == 'e' || e == 'E') {
            Py_ssize_t k = j + 1;
            if (at(t, k) == '+' || at(t, k) == '-')
                k++;
            if (is_digit(t, k))
                j = digits(t, k);
        }
        *end = j;
        return NUM;
    }
    if (is_ascii_letter(ch)) {
        j = i + 1;
        while (is_word(t, j) || at(t, j) == '$')
            j++;
        *end = j;
        return WORD;
    }
    *end = i + 1;
    return OTHER;
}

static PyObject *
tokens(PyObject *module, PyObject *sql)
{
    (void)module;
    if (!PyUnicode_Check(sql)) {
        PyErr_SetString(PyExc_TypeError, "tokens() takes a str");
        return NULL;
    }
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(sql) < 0) /* a no-op from 3.12 on, and deprecated */
        return NULL;
#endif
    Text t = {PyUnicode_KIND(sql), PyUnicode_DATA(sql), PyUnicode_GET_LENGTH(sql)};
    PyObject *out = PyList_New(0);
    if (out == NULL)
        return NULL;
    Py_ssize_t i = 0, end = 0;
    while (i < t.n) {
        Kind kind = token(&t, i, &end);
        if (kind != COMMENT) {
            PyObject *text = PyUnicode_Substring(sql, i, end);
            PyObject *pair = text == NULL ? NULL : PyTuple_Pack(2, kind_strs[kind], text);
            Py_XDECREF(text);
            if (pair == NULL || PyList_Append(out, pair) < 0) {
                Py_XDECREF(pair);
                Py_DECREF(out);
                return NULL;
            }
            Py_DECREF(pair);
        }
        i = end;
    }
    return out;
}

static PyMethodDef methods[] = {
    {"tokens", tokens, METH_O,
     "tokens(sql) -> [(kind, text)]: the tokens of `sql` as the regex reads them, comments "
     "dropped"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "seamrec.runtime.adapters._sqltokens",
    "A SQL statement's tokens, in C (see sqltokens.py).", -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__sqltokens(void)
{
    for (int k = 0; k < KINDS; k++) {
        if (kind_strs[k] == NULL) {
            kind_strs[k] = PyUnicode_InternFromString(kind_names[k]);
            if (kind_strs[k] == NULL)
                return NULL;
        }
    }
    return PyModule_Create(&module);
}
