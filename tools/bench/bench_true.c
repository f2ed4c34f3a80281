/* bench-true: the program `make bench` spawns on every side of a comparison. Static, no C
 * library, no startup code: it exits 0 at once, so a spawn measurement is the spawner's cost
 * and not the program's (a static glibc program costs ~0.55 ms more to start on the CI VM,
 * DESIGN §4b). Built with -nostdlib; one instruction sequence per architecture. */
#if defined(__x86_64__)
__asm__(".globl _start\n"
        "_start:\n"
        "        mov $231, %eax\n" /* exit_group */
        "        xor %edi, %edi\n"
        "        syscall\n");
#elif defined(__aarch64__)
__asm__(".globl _start\n"
        "_start:\n"
        "        mov x8, #94\n" /* exit_group */
        "        mov x0, #0\n"
        "        svc #0\n");
#else
#error "bench-true: add a _start for this architecture"
#endif
