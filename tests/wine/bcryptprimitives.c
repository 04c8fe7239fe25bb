/* A stand-in for Windows' bcryptprimitives.dll, for running piedge.exe under
 * wine 8 (Debian bookworm's), which lacks it. Rust's standard library (1.78
 * and later) takes its random numbers from ProcessPrng in that DLL; every
 * Windows 10 and 11 has it, so the shipped piedge.exe does not need this.
 * The tests put it beside a copy of piedge.exe; wine 9 ships the real one.
 *
 * ProcessPrng fills a buffer with random bytes; here RtlGenRandom
 * (advapi32's SystemFunction036) does, in chunks its ULONG length allows. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T size)
{
    while (size > 0) {
        ULONG chunk = size > 0x40000000 ? 0x40000000 : (ULONG)size;
        if (!SystemFunction036(data, chunk)) {
            return FALSE;
        }
        data += chunk;
        size -= chunk;
    }
    return TRUE;
}
