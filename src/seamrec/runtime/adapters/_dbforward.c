/* The compiled twin of `dbproxy.Forward`: a data descriptor that reads, sets and deletes
 * one attribute of a proxy's wrapped object (read through wrapt's `__wrapped__` getset
 * descriptor), and `direct_getattro`, which gives a proxy class wrapt's own attribute
 * lookup instead of CPython's `__getattr__` hook around it.
 *
 * Reference: `Forward` in dbproxy.py (SEAMREC_PURE=1 runs it); `direct_getattro` has no
 * Python twin: the pure path keeps CPython's hook, which calls the same lookup first.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

typedef struct {
    PyObject_HEAD
    PyObject *name;      /* the attribute's name (str) */
    PyObject *wrapped;   /* wrapt's `__wrapped__` getset descriptor */
    getter get;          /* its C getter and closure, read once */
    void *closure;
} ForwardObject;

static PyTypeObject ForwardType;

static PyObject *
forward_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    PyObject *name, *wrapped;
    static char *keywords[] = {"name", "wrapped", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "UO:Forward", keywords, &name, &wrapped))
        return NULL;
    if (!PyObject_TypeCheck(wrapped, &PyGetSetDescr_Type)) {
        PyErr_SetString(PyExc_TypeError, "Forward: `wrapped` must be a getset descriptor");
        return NULL;
    }
    PyGetSetDef *def = ((PyGetSetDescrObject *)wrapped)->d_getset;
    if (def == NULL || def->get == NULL) {
        PyErr_SetString(PyExc_TypeError, "Forward: `wrapped` has no getter");
        return NULL;
    }
    ForwardObject *self = (ForwardObject *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    Py_INCREF(name);
    self->name = name;
    Py_INCREF(wrapped);
    self->wrapped = wrapped;
    self->get = def->get;
    self->closure = def->closure;
    return (PyObject *)self;
}

static void
forward_dealloc(ForwardObject *self)
{
    Py_XDECREF(self->name);
    Py_XDECREF(self->wrapped);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
forward_get(ForwardObject *self, PyObject *proxy, PyObject *owner)
{
    if (proxy == NULL || proxy == Py_None) {
        Py_INCREF(self);
        return (PyObject *)self;
    }
    PyObject *wrapped = self->get(proxy, self->closure);
    if (wrapped == NULL)
        return NULL;
    PyObject *result = PyObject_GetAttr(wrapped, self->name);
    Py_DECREF(wrapped);
    return result;
}

static int
forward_set(ForwardObject *self, PyObject *proxy, PyObject *value)
{
    PyObject *wrapped = self->get(proxy, self->closure);
    if (wrapped == NULL)
        return -1;
    int result = PyObject_SetAttr(wrapped, self->name, value); /* NULL value: delete */
    Py_DECREF(wrapped);
    return result;
}

static PyMemberDef forward_members[] = {
    {"name", T_OBJECT, offsetof(ForwardObject, name), READONLY, "the attribute's name"},
    {NULL},
};

static PyTypeObject ForwardType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "seamrec.runtime.adapters._dbforward.Forward",
    .tp_basicsize = sizeof(ForwardObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "One attribute of a proxy's wrapped object: read, set and deleted there.",
    .tp_new = forward_new,
    .tp_dealloc = (destructor)forward_dealloc,
    .tp_descr_get = (descrgetfunc)forward_get,
    .tp_descr_set = (descrsetfunc)forward_set,
    .tp_members = forward_members,
};

static PyObject *
direct_getattro(PyObject *module, PyObject *args)
{
    PyTypeObject *cls, *base;
    if (!PyArg_ParseTuple(args, "O!O!:direct_getattro", &PyType_Type, &cls, &PyType_Type, &base))
        return NULL;
    if (!(cls->tp_flags & Py_TPFLAGS_HEAPTYPE) || !PyType_IsSubtype(cls, base)
        || base->tp_getattro == NULL) {
        PyErr_SetString(PyExc_TypeError, "direct_getattro: a heap subclass of `base` expected");
        return NULL;
    }
    cls->tp_getattro = base->tp_getattro;
    PyType_Modified(cls);
    Py_RETURN_NONE;
}

static PyMethodDef dbforward_methods[] = {
    {"direct_getattro", direct_getattro, METH_VARARGS,
     "direct_getattro(cls, base): `cls` looks its instances' attributes up with `base`'s "
     "own lookup (no `__getattr__` hook around it)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef dbforward_module = {
    PyModuleDef_HEAD_INIT,
    "seamrec.runtime.adapters._dbforward",
    "The DB-API proxies' attribute forwarding, compiled (see dbproxy.Forward).",
    -1,
    dbforward_methods,
};

PyMODINIT_FUNC
PyInit__dbforward(void)
{
    if (PyType_Ready(&ForwardType) < 0)
        return NULL;
    PyObject *module = PyModule_Create(&dbforward_module);
    if (module == NULL)
        return NULL;
    Py_INCREF(&ForwardType);
    if (PyModule_AddObject(module, "Forward", (PyObject *)&ForwardType) < 0) {
        Py_DECREF(&ForwardType);
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
