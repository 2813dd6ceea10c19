"""What machine a benchmark script ran on (its figures name it)."""
import platform


def cpu_model():
    """The CPU's model name, family and model numbers (a VM may hide the name), and the
    name LLVM gives it."""
    import llvmlite.binding as ll
    fields = {}
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                key, _, value = line.partition(":")
                fields.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    name = fields.get("model name") or platform.processor() or "unknown CPU"
    if "cpu family" in fields:
        name += f" (family {fields['cpu family']}, model {fields.get('model', '?')})"
    return f"{name}, LLVM: {ll.get_host_cpu_name()}"
