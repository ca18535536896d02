"""Is KVM usable here? Probed, never assumed (issue 7).

Three checks, cheapest first: the processor advertises hardware
virtualisation (vmx or svm in /proc/cpuinfo); /dev/kvm opens and speaks API
12; and a one-instruction guest (HLT in real mode) actually runs and exits
with KVM_EXIT_HLT, in a child process with a deadline. Some sandboxes offer a
/dev/kvm that answers the first ioctls but never runs a real kernel; the
cpuinfo check catches those we have met (no vmx/svm flag), the HLT guest
the ones that cannot run code at all. Anything failing means TCG.
"""
from __future__ import annotations

import ctypes
import fcntl
import mmap
import os
import struct
import subprocess
import sys

# linux/kvm.h ioctl numbers (x86-64).
KVM_GET_API_VERSION = 0xAE00
KVM_CREATE_VM = 0xAE01
KVM_GET_VCPU_MMAP_SIZE = 0xAE04
KVM_CREATE_VCPU = 0xAE41
KVM_SET_USER_MEMORY_REGION = 0x4020AE46   # struct kvm_userspace_memory_region, 32 bytes
KVM_RUN = 0xAE80
KVM_GET_SREGS = 0x8138AE83                # struct kvm_sregs, 312 bytes
KVM_SET_SREGS = 0x4138AE84
KVM_SET_REGS = 0x4090AE82                 # struct kvm_regs, 18 x u64
KVM_API_VERSION = 12
KVM_EXIT_HLT = 5
GUEST_CODE_ADDRESS = 0x1000
HLT_INSTRUCTION = 0xF4
PROBE_DEADLINE_SECONDS = 3


def cpu_advertises_virtualisation() -> bool:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("flags"):
                    return bool({"vmx", "svm"} & set(line.split(":", 1)[1].split()))
    except OSError:
        return False
    return False


def run_hlt_guest() -> int:
    """In the child: run the one-instruction guest; exit 0 if it halted."""
    kvm = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
    if fcntl.ioctl(kvm, KVM_GET_API_VERSION) != KVM_API_VERSION:
        return 1
    vm = fcntl.ioctl(kvm, KVM_CREATE_VM, 0)
    memory = mmap.mmap(-1, 2 * GUEST_CODE_ADDRESS)
    memory[GUEST_CODE_ADDRESS] = HLT_INSTRUCTION
    address = ctypes.addressof(ctypes.c_char.from_buffer(memory))
    fcntl.ioctl(vm, KVM_SET_USER_MEMORY_REGION, struct.pack("<IIQQQ", 0, 0, 0, len(memory), address))
    vcpu = fcntl.ioctl(vm, KVM_CREATE_VCPU, 0)
    run = mmap.mmap(vcpu, fcntl.ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE), mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
    special = bytearray(fcntl.ioctl(vcpu, KVM_GET_SREGS, bytes(312)))
    struct.pack_into("<Q", special, 0, 0)   # cs.base
    struct.pack_into("<H", special, 12, 0)  # cs.selector
    fcntl.ioctl(vcpu, KVM_SET_SREGS, bytes(special))
    registers = [0] * 18
    registers[16] = GUEST_CODE_ADDRESS      # rip
    registers[17] = 2                       # rflags: the always-one bit
    fcntl.ioctl(vcpu, KVM_SET_REGS, struct.pack("<18Q", *registers))
    fcntl.ioctl(vcpu, KVM_RUN, 0)
    return 0 if struct.unpack_from("<I", run, 8)[0] == KVM_EXIT_HLT else 1


def kvm_usable() -> bool:
    if not cpu_advertises_virtualisation() or not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return False
    try:
        probe = subprocess.run([sys.executable, __file__], timeout=PROBE_DEADLINE_SECONDS,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return False
    return probe.returncode == 0


if __name__ == "__main__":
    try:
        sys.exit(run_hlt_guest())
    except OSError:
        sys.exit(1)
