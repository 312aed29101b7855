// Forward then backward real FFT of GROMACS' fftpack for several lengths (powers of two and
// the 3/5 factors PME grids use); fftpack's backward transform is unnormalised, so the round
// trip returns n times the input. Prints "fftpack round trip ok" and exits 0 when every
// element is within 1e-4 relative, else names the first bad length.
#include <cmath>
#include <cstdio>
#include <vector>

#include "fftpack.h"

int main()
{
    const int sizes[] = { 8, 30, 48, 60, 64, 100, 128, 250, 1000 };
    for (int n : sizes)
    {
        std::vector<float> data(n), copy(n), work(n), wa(2 * n);
        std::vector<int>   ifac(15);
        for (int i = 0; i < n; i++)
        {
            data[i] = std::sin(0.37F * i) + 0.25F * std::cos(1.7F * i * i / n);
            copy[i] = data[i];
        }
        fftpack_rffti1(n, wa.data(), ifac.data());
        fftpack_rfftf1(n, data.data(), work.data(), wa.data(), ifac.data());
        fftpack_rfftb1(n, data.data(), work.data(), wa.data(), ifac.data());
        for (int i = 0; i < n; i++)
        {
            if (std::fabs(data[i] / n - copy[i]) > 1e-4F * (1.0F + std::fabs(copy[i])))
            {
                std::printf("fftpack round trip FAILED at n=%d, i=%d: %g vs %g\n", n, i,
                            data[i] / n, copy[i]);
                return 1;
            }
        }
    }
    std::printf("fftpack round trip ok (%zu lengths)\n", sizeof(sizes) / sizeof(sizes[0]));
    return 0;
}
